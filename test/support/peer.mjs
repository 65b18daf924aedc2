// A test peer run inside a namespace: `serve NAME` answers every TCP connection and UDP datagram on ports 80 and 53
// with "NAME <peer address>"; `ask tcp|udp HOST PORT` prints the answer (exit 1 without one within 5 s).
import { createSocket } from "node:dgram";
import { connect, createServer } from "node:net";

const [mode, ...rest] = process.argv.slice(2);
if (mode === "serve") {
  const name = rest[0];
  createServer((s) => s.end(`${name} ${s.remoteAddress}\n`)).listen(80, "::");
  const udp = createSocket({ type: "udp6" });
  udp.on("message", (_m, r) => udp.send(`${name} ${r.address}\n`, r.port, r.address));
  udp.bind(53, "::", () => console.log("ready"));
} else {
  const [proto, host, port] = rest;
  const timer = setTimeout(() => process.exit(1), 5000);
  const done = (text) => {
    clearTimeout(timer);
    process.stdout.write(String(text));
    process.exit(0);
  };
  if (proto === "tcp") {
    let got = "";
    const s = connect(Number(port), host);
    s.on("data", (d) => (got += d));
    s.on("end", () => done(got));
    s.on("error", () => process.exit(1));
  } else {
    const u = createSocket(host.includes(":") ? "udp6" : "udp4");
    u.on("message", (m) => done(m));
    u.send("hello", Number(port), host);
  }
}
