// libcni-driver runs one operation of Debian's Go libcni (1.1.2) on a
// conflist, so tests and benchmarks can compare it with @tscni/libcni and
// check that both read each other's result cache.
//
//	libcni-driver -conf FILE -cache DIR -netns PATH -cid ID -ifname NAME [-caps JSON] add|check|del|cached|cachedconfig
//
// -caps holds the runtime's capability arguments (portMappings, bandwidth, ...) as a JSON object.
//
// CNI_PATH names the plugin directories. Results are printed as JSON; errors
// go to stderr with exit status 1.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containernetworking/cni/libcni"
)

func main() {
	conf := flag.String("conf", "", "conflist file")
	cache := flag.String("cache", "", "cache directory")
	netns := flag.String("netns", "", "netns path")
	cid := flag.String("cid", "", "container ID")
	ifname := flag.String("ifname", "eth0", "interface name")
	repeat := flag.Int("repeat", 1, "run add+del this many times (verb addDel only)")
	caps := flag.String("caps", "", "capability arguments as a JSON object")
	flag.Parse()
	if err := run(flag.Arg(0), *conf, *cache, *netns, *cid, *ifname, *repeat, *caps); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(verb, confFile, cacheDir, netns, cid, ifname string, repeat int, caps string) error {
	list, err := libcni.ConfListFromFile(confFile)
	if err != nil {
		return err
	}
	cni := libcni.NewCNIConfigWithCacheDir(filepath.SplitList(os.Getenv("CNI_PATH")), cacheDir, nil)
	rt := &libcni.RuntimeConf{ContainerID: cid, NetNS: netns, IfName: ifname}
	if caps != "" {
		if err := json.Unmarshal([]byte(caps), &rt.CapabilityArgs); err != nil {
			return fmt.Errorf("-caps: %v", err)
		}
	}
	ctx := context.Background()
	switch verb {
	case "add":
		res, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			return err
		}
		return res.Print()
	case "check":
		return cni.CheckNetworkList(ctx, list, rt)
	case "del":
		return cni.DelNetworkList(ctx, list, rt)
	case "addDel":
		for i := 0; i < repeat; i++ {
			if _, err := cni.AddNetworkList(ctx, list, rt); err != nil {
				return err
			}
			if err := cni.DelNetworkList(ctx, list, rt); err != nil {
				return err
			}
		}
		return nil
	case "cached":
		res, err := cni.GetNetworkListCachedResult(list, rt)
		if err != nil {
			return err
		}
		if res == nil {
			fmt.Print("null")
			return nil
		}
		return res.Print()
	case "cachedconfig":
		raw, cachedRt, err := cni.GetNetworkListCachedConfig(list, rt)
		if err != nil {
			return err
		}
		out := map[string]interface{}{"config": string(raw)}
		if cachedRt != nil {
			out["args"] = cachedRt.Args
			out["capabilityArgs"] = cachedRt.CapabilityArgs
		}
		return json.NewEncoder(os.Stdout).Encode(out)
	}
	return fmt.Errorf("unknown verb %q", verb)
}
