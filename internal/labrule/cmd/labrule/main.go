// Command labrule runs the lab-rule analyzer standalone:
//
//	go run ./internal/labrule/cmd/labrule ./...
//
// or as a vet tool (go build -o /tmp/labrule ./internal/labrule/cmd/labrule;
// go vet -vettool=/tmp/labrule ./...). Non-engine packages are not checked.
package main

import (
	"iomaplab/internal/labrule"

	"golang.org/x/tools/go/analysis/singlechecker"
)

func main() { singlechecker.Main(labrule.Analyzer) }
