// go-convert converts CNI results with the Go reference library, so that the
// TypeScript conversions can be compared with it. One JSON request per stdin
// line: {"version": "<result's version>", "result": {...}, "to": "<target>"};
// one JSON answer per stdout line: {"result": {...}} or {"error": "..."}.
package main

import (
	"bufio"
	"encoding/json"
	"os"

	"github.com/containernetworking/cni/pkg/version"
	// The result types register their converters when imported.
	_ "github.com/containernetworking/cni/pkg/types/020"
	_ "github.com/containernetworking/cni/pkg/types/040"
	_ "github.com/containernetworking/cni/pkg/types/100"
)

type request struct {
	Version string          `json:"version"`
	Result  json.RawMessage `json:"result"`
	To      string          `json:"to"`
}

type answer struct {
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
}

func convert(req request) answer {
	res, err := version.NewResult(req.Version, req.Result)
	if err != nil {
		return answer{Error: err.Error()}
	}
	out, err := res.GetAsVersion(req.To)
	if err != nil {
		return answer{Error: err.Error()}
	}
	data, err := json.Marshal(out)
	if err != nil {
		return answer{Error: err.Error()}
	}
	return answer{Result: data}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	enc := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			_ = enc.Encode(answer{Error: "bad request: " + err.Error()})
			continue
		}
		_ = enc.Encode(convert(req))
	}
}
