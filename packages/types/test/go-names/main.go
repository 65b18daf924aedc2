// go-names runs the Go reference's name rules (pkg/utils ValidateContainerID,
// ValidateNetworkName, ValidateInterfaceName) so that @tscni/types/names can
// be compared with them. One JSON string per stdin line; one JSON answer per
// stdout line with the three verdicts: null when valid, else the error object.
package main

import (
	"bufio"
	"encoding/json"
	"os"

	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/utils"
)

type answer struct {
	ContainerID *types.Error `json:"containerId"`
	Network     *types.Error `json:"network"`
	IfName      *types.Error `json:"ifName"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	enc := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var raw string
		if err := json.Unmarshal(in.Bytes(), &raw); err != nil {
			os.Exit(2)
		}
		_ = enc.Encode(answer{
			ContainerID: utils.ValidateContainerID(raw),
			Network:     utils.ValidateNetworkName(raw),
			IfName:      utils.ValidateInterfaceName(raw),
		})
	}
}
