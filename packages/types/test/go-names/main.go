// go-names runs the Go reference's name rules (pkg/utils ValidateContainerID,
// ValidateNetworkName, ValidateInterfaceName) so that @tscni/types/names can
// be compared with them. A stream of JSON strings on stdin; one JSON answer per
// stdout line with the three verdicts: null when valid, else the error object.
package main

import (
	"encoding/json"
	"io"
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
	names := json.NewDecoder(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	for {
		var name string
		err := names.Decode(&name)
		if err == io.EOF {
			return
		}
		if err != nil {
			os.Exit(2)
		}
		_ = out.Encode(answer{
			ContainerID: utils.ValidateContainerID(name),
			Network:     utils.ValidateNetworkName(name),
			IfName:      utils.ValidateInterfaceName(name),
		})
	}
}
