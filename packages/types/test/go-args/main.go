// go-args parses CNI_ARGS strings with the Go reference's types.LoadArgs, so
// that parseCniArgs can be compared with it. One JSON string per stdin line;
// one JSON answer per stdout line: {"values": {...}} or {"error": "..."}.
package main

import (
	"bufio"
	"encoding/json"
	"os"

	"github.com/containernetworking/cni/pkg/types"
)

type pluginArgs struct {
	types.CommonArgs
	A types.UnmarshallableString
	B types.UnmarshallableString
	C types.UnmarshallableBool
}

type answer struct {
	Values map[string]interface{} `json:"values,omitempty"`
	Error  string                 `json:"error,omitempty"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	enc := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var raw string
		if err := json.Unmarshal(in.Bytes(), &raw); err != nil {
			_ = enc.Encode(answer{Error: "bad request: " + err.Error()})
			continue
		}
		var args pluginArgs
		if err := types.LoadArgs(raw, &args); err != nil {
			_ = enc.Encode(answer{Error: err.Error()})
			continue
		}
		_ = enc.Encode(answer{Values: map[string]interface{}{"A": string(args.A), "B": string(args.B), "C": bool(args.C)}})
	}
}
