package main

import (
	"reflect"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

func request(t *testing.T, options map[string]any) *pulumirpc.RunPluginRequest {
	t.Helper()
	if options == nil {
		return &pulumirpc.RunPluginRequest{Info: &pulumirpc.ProgramInfo{}}
	}
	s, err := structpb.NewStruct(options)
	if err != nil {
		t.Fatal(err)
	}
	return &pulumirpc.RunPluginRequest{Info: &pulumirpc.ProgramInfo{Options: s}}
}

func TestNodeOptionsDefaultsToTypeScript(t *testing.T) {
	ts, tsconfig, nodeargs, err := nodeOptions(request(t, nil))
	if err != nil || !ts || tsconfig != "" || nodeargs != nil {
		t.Fatalf("got %v %q %v %v, want typescript on and nothing else", ts, tsconfig, nodeargs, err)
	}
}

func TestNodeOptionsReadsTheProjectsRuntimeOptions(t *testing.T) {
	ts, tsconfig, nodeargs, err := nodeOptions(request(t, map[string]any{"typescript": false, "tsconfig": "tsconfig.policy.json", "nodeargs": `--max-old-space-size=4096 --require "a b.js"`}))
	if err != nil {
		t.Fatal(err)
	}
	if ts || tsconfig != "tsconfig.policy.json" || !reflect.DeepEqual(nodeargs, []string{"--max-old-space-size=4096", "--require", "a b.js"}) {
		t.Fatalf("got %v %q %q", ts, tsconfig, nodeargs)
	}
}

func TestNodeOptionsRefusesAnUnbalancedQuote(t *testing.T) {
	if _, _, _, err := nodeOptions(request(t, map[string]any{"nodeargs": `--require "a.js`})); err == nil {
		t.Fatal("want an error for an unterminated quote")
	}
}

func TestPluginArgsPutThePackDirectoryLastForPolicyPacks(t *testing.T) {
	got := pluginArgs("run-policy-pack.js", []string{"--inspect"}, true, "/repo/policy", []string{"127.0.0.1:5000"})
	want := []string{"run-policy-pack.js", "--inspect", "127.0.0.1:5000", "/repo/policy"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("analyzer: got %q, want %q", got, want)
	}
	got = pluginArgs("run-plugin.js", nil, false, "/repo/plugin", []string{"--port", "1"})
	want = []string{"run-plugin.js", "/repo/plugin", "--port", "1"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("plugin: got %q, want %q", got, want)
	}
}
