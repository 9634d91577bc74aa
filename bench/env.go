package bench

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// Env describes the machine and the versions a run used.
type Env struct {
	NProc         int
	CPU           string
	Go            string
	OSArch        string
	SDK           string // service/dynamodb module version
	SDKCore       string // aws-sdk-go-v2 core module version
	Guregu        string
	DynamoDBLocal string
	MemTotal      string
	// LoadStart and LoadEnd are /proc/loadavg at the start and end of the
	// run: other processes on the machine skew timings.
	LoadStart, LoadEnd string
}

// Pairs lists the fields as label/value pairs for printing.
func (e Env) Pairs() [][2]string {
	return [][2]string{
		{"nproc", strconv.Itoa(e.NProc)},
		{"CPU", e.CPU},
		{"memory", e.MemTotal},
		{"Go", e.Go + " " + e.OSArch},
		{"aws-sdk-go-v2/service/dynamodb", e.SDK},
		{"aws-sdk-go-v2", e.SDKCore},
		{"guregu/dynamo/v2", e.Guregu},
		{"DynamoDB Local", e.DynamoDBLocal},
		{"load average (1, 5, 15 min) at start / end", e.LoadStart + " / " + e.LoadEnd},
	}
}

// CurrentEnv reads the machine description and module versions.
func CurrentEnv() Env {
	e := Env{NProc: runtime.NumCPU(), Go: runtime.Version(), OSArch: runtime.GOOS + "/" + runtime.GOARCH,
		CPU: procField("/proc/cpuinfo", "model name"), MemTotal: procField("/proc/meminfo", "MemTotal"), LoadStart: loadAvg()}
	e.SDK, e.SDKCore, e.Guregu = "unknown", "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			v := d.Version
			if d.Replace != nil {
				v += " => " + d.Replace.Path + " " + d.Replace.Version
			}
			switch d.Path {
			case "github.com/aws/aws-sdk-go-v2/service/dynamodb":
				e.SDK = v
			case "github.com/aws/aws-sdk-go-v2":
				e.SDKCore = v
			case "github.com/guregu/dynamo/v2":
				e.Guregu = v
			}
		}
	}
	return e
}

func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// loadAvg is the first three fields of /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
