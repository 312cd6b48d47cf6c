package main

import (
	_ "github.com/compose-spec/compose-go/v2/loader"
	_ "github.com/distribution/reference"
	_ "github.com/docker/cli/cli/config"
	_ "github.com/olekukonko/tablewriter"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/secure-systems-lab/go-securesystemslib/cjson"
	_ "github.com/spf13/cobra"
	_ "github.com/spf13/viper"
	_ "golang.org/x/term"
	_ "go.yaml.in/yaml/v3"
)

func main() {}
