// pulumi-language-nodejs for the modelship offline toolchain (built by scripts/toolchain).
//
// Starts the legacy Node.js language host (pulumi-language-nodejs-legacy, next to this binary) and
// forwards the LanguageRuntime protocol to it, except RunPlugin, which the legacy host lacks:
// policy packs (kind "analyzer") run @pulumi/pulumi/cmd/run-policy-pack behind the SDK's
// PolicyProxy (which answers the engine's ConfigureStack before the pack starts), other plugins run
// @pulumi/pulumi/cmd/run-plugin.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/google/shlex"
	pulumisdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
)

type shim struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	inner pulumirpc.LanguageRuntimeClient
}

func (s *shim) GetRequiredPlugins(ctx context.Context, r *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return s.inner.GetRequiredPlugins(ctx, r)
}

func (s *shim) Run(ctx context.Context, r *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	return s.inner.Run(ctx, r)
}

func (s *shim) GetPluginInfo(ctx context.Context, r *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return s.inner.GetPluginInfo(ctx, r)
}

func (s *shim) About(ctx context.Context, r *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	return s.inner.About(ctx, r)
}

func (s *shim) GetProgramDependencies(ctx context.Context, r *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return s.inner.GetProgramDependencies(ctx, r)
}

func (s *shim) InstallDependencies(r *pulumirpc.InstallDependenciesRequest, srv grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	stream, err := s.inner.InstallDependencies(srv.Context(), r)
	if err != nil {
		return err
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := srv.Send(msg); err != nil {
			return err
		}
	}
}

func nodeOptions(r *pulumirpc.RunPluginRequest) (typescript bool, tsconfig string, nodeargs []string, err error) {
	typescript = true
	if r.GetInfo() == nil || r.GetInfo().GetOptions() == nil {
		return typescript, "", nil, nil
	}
	opts := r.GetInfo().GetOptions().AsMap()
	if v, ok := opts["typescript"].(bool); ok {
		typescript = v
	}
	tsconfig, _ = opts["tsconfig"].(string)
	if s, ok := opts["nodeargs"].(string); ok {
		nodeargs, err = shlex.Split(s)
	}
	return typescript, tsconfig, nodeargs, err
}

// pluginArgs is the node command line of a plugin: the entry script, the user's node arguments, then
// the program directory before the plugin's own arguments for plugins, after them for policy packs
// (run-policy-pack reads the pack directory as its last argument).
func pluginArgs(script string, nodeargs []string, analyzer bool, dir string, pluginArgs []string) []string {
	args := append([]string{script}, nodeargs...)
	if analyzer {
		return append(append(args, pluginArgs...), dir)
	}
	return append(append(args, dir), pluginArgs...)
}

func (s *shim) RunPlugin(r *pulumirpc.RunPluginRequest, srv grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	ctx := context.Background()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(srv, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	node, err := exec.LookPath("node")
	if err != nil {
		return err
	}
	dir := r.GetInfo().GetProgramDirectory()
	analyzer := r.GetKind() == "analyzer"
	module := "@pulumi/pulumi/cmd/run-plugin"
	if analyzer {
		module = "@pulumi/pulumi/cmd/run-policy-pack"
	}
	resolve := exec.Command(node, "-e", "process.stdout.write(require.resolve(process.argv[1]))", module)
	resolve.Dir = dir
	script, err := resolve.Output()
	if err != nil {
		return fmt.Errorf("could not find %s from %s (are the dependencies installed?): %w", module, dir, err)
	}
	typescript, tsconfig, nodeargs, err := nodeOptions(r)
	if err != nil {
		return err
	}
	env := r.GetEnv()
	if typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}
	args := pluginArgs(string(script), nodeargs, analyzer, dir, r.GetArgs())

	var proxy *pulumisdk.PolicyProxy
	if analyzer {
		if proxy, stdout, err = pulumisdk.NewPolicyProxy(ctx, stdout); err != nil {
			return fmt.Errorf("could not start policy pack proxy: %w", err)
		}
		cfg, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("could not get stack configuration: %w", err)
		}
		if cfg != nil {
			add := func(k, v string) {
				if v != "" {
					env = append(env, k+"="+v)
				}
			}
			add("PULUMI_NODEJS_ORGANIZATION", cfg.GetOrganization())
			add("PULUMI_NODEJS_PROJECT", cfg.GetProject())
			add("PULUMI_NODEJS_STACK", cfg.GetStack())
			add("PULUMI_NODEJS_DRY_RUN", fmt.Sprint(cfg.GetDryRun()))
		}
	}

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = r.GetPwd()
	if analyzer {
		cmd.Dir = dir // policy packs always ran in their own directory
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	if proxy != nil {
		err = proxy.Attach(ctx, cmd)
	} else {
		err = cmd.Wait()
	}
	if err != nil {
		return fmt.Errorf("plugin %s exited: %w", dir, err)
	}
	return closer.Close()
}

func main() {
	// The legacy host's flags, passed through.
	var pass []string
	for _, name := range []string{"tracing", "typescript", "root", "tsconfig", "nodeargs"} {
		name := name
		flag.Func(name, "passed to the legacy host", func(v string) error {
			pass = append(pass, "-"+name+"="+v)
			return nil
		})
	}
	flag.Parse()
	engine := ""
	if flag.NArg() > 0 {
		engine = flag.Arg(0)
	}

	self, err := os.Executable()
	if err == nil {
		self, err = filepath.EvalSymlinks(self)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	legacy := exec.Command(filepath.Join(filepath.Dir(self), "pulumi-language-nodejs-legacy"), append(pass, flag.Args()...)...)
	legacy.Stderr = os.Stderr
	legacy.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := legacy.StdoutPipe()
	if err == nil {
		err = legacy.Start()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "could not start the legacy language host: %v\n", err)
		os.Exit(1)
	}
	lines := bufio.NewReader(out)
	port, err := lines.ReadString('\n')
	if err != nil {
		fmt.Fprintf(os.Stderr, "legacy language host did not report a port: %v\n", err)
		os.Exit(1)
	}
	go func() { _, _ = io.Copy(os.Stdout, lines) }()
	conn, err := grpc.NewClient("127.0.0.1:"+strings.TrimSpace(port),
		grpc.WithTransportCredentials(insecure.NewCredentials()), rpcutil.GrpcChannelOptions())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	ctx, cancel := context.WithCancel(context.Background())
	stop := make(chan bool)
	go func() { <-ctx.Done(); close(stop) }()
	if engine != "" {
		if err := rpcutil.Healthcheck(ctx, engine, 5*time.Minute, cancel); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &shim{inner: pulumirpc.NewLanguageRuntimeClient(conn)})
			return nil
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	err = <-handle.Done
	_ = legacy.Process.Kill()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
