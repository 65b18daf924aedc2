// go-version runs the Go reference's version parsing, comparison and plugin
// info decoding, so that @tscni/version can be compared with it. One JSON
// request per stdin line: {"a": "...", "b": "...", "info": "..."}; one JSON
// answer per stdout line.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"github.com/containernetworking/cni/pkg/version"
)

type request struct {
	A    string `json:"a"`
	B    string `json:"b"`
	Info string `json:"info"`
}

type answer struct {
	Parsed      string   `json:"parsed,omitempty"`
	ParseError  string   `json:"parseError,omitempty"`
	AtLeast     *bool    `json:"atLeast,omitempty"`
	CompareErr  string   `json:"compareError,omitempty"`
	Supported   []string `json:"supported,omitempty"`
	DecodeError string   `json:"decodeError,omitempty"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	enc := json.NewEncoder(os.Stdout)
	decoder := version.PluginDecoder{}
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			_ = enc.Encode(answer{ParseError: "bad request: " + err.Error()})
			continue
		}
		var out answer
		if major, minor, micro, err := version.ParseVersion(req.A); err != nil {
			out.ParseError = err.Error()
		} else {
			out.Parsed = fmt.Sprintf("%d.%d.%d", major, minor, micro)
		}
		if ok, err := version.GreaterThanOrEqualTo(req.A, req.B); err != nil {
			out.CompareErr = err.Error()
		} else {
			out.AtLeast = &ok
		}
		if info, err := decoder.Decode([]byte(req.Info)); err != nil {
			out.DecodeError = err.Error()
		} else {
			out.Supported = info.SupportedVersions()
		}
		_ = enc.Encode(out)
	}
}
