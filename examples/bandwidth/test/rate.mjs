// Run inside a namespace. `sink PORT`: prints "ready", then for the first connection prints the bits per second it
// received (from its first byte to its end). `send HOST PORT SECONDS`: writes as fast as TCP allows for SECONDS.
import { writeSync } from "node:fs";
import { connect, createServer } from "node:net";

const [mode, ...rest] = process.argv.slice(2);
if (mode === "sink") {
  const server = createServer((s) => {
    let bytes = 0;
    let first = 0n;
    s.on("data", (d) => {
      if (bytes === 0) first = process.hrtime.bigint();
      bytes += d.length;
    });
    s.on("end", () => {
      const seconds = Number(process.hrtime.bigint() - first) / 1e9;
      // Synchronously: stdout is a pipe, and an asynchronous write would be lost to the exit.
      writeSync(1, `${Math.round((bytes * 8) / seconds)}\n`);
      process.exit(0);
    });
  });
  server.listen(Number(rest[0]), "::", () => console.log("ready"));
} else {
  const [host, port, seconds] = rest;
  const chunk = Buffer.alloc(64 * 1024, 1);
  const s = connect(Number(port), host, () => {
    const end = Date.now() + Number(seconds) * 1000;
    const pump = () => {
      while (Date.now() < end) if (!s.write(chunk)) return s.once("drain", pump);
      s.end();
    };
    pump();
  });
  s.on("error", (e) => {
    console.error(e.message);
    process.exit(1);
  });
}
