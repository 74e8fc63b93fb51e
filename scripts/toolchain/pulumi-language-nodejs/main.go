// Command pulumi-language-nodejs is a Node.js language host for the Pulumi engine,
// written for leasehold's local toolchain. It is NOT Pulumi's own language host.
//
// Why it exists: Pulumi's language host lives in the Go module
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, which has no tags
// and which the Go module proxy this project can reach does not serve (every version,
// including `latest` and the list, answers "403 Forbidden: This module version is not
// available"). The Pulumi CLI cannot run a `runtime: nodejs` program or a Node.js
// policy pack without a language host, so this one implements the part of the
// LanguageRuntime gRPC protocol (sdk/v3/proto) that `pulumi preview/up/destroy` and
// `--policy-pack` use, on top of the shims that ship in the npm package @pulumi/pulumi:
//
//   - Run: `node [nodeargs] <@pulumi/pulumi/cmd/run> --monitor ... <entry point>`, with
//     PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS, PULUMI_NODEJS_TYPESCRIPT and
//     PULUMI_NODEJS_TSCONFIG_PATH, as the SDK's run shim expects; exit code 32 (error
//     already reported to the user) becomes a bail.
//   - RunPlugin: policy packs (`@pulumi/pulumi/cmd/run-policy-pack <engine> <dir>`) and
//     Node.js plugins (`@pulumi/pulumi/cmd/run-plugin <dir> ...`), output streamed back.
//   - GetRequiredPackages / GetRequiredPlugins: the resource plugins named by
//     package.json files ("pulumi": {"resource": true, ...}) under node_modules.
//   - InstallDependencies (npm, yarn or pnpm install), GetProgramDependencies, About,
//     RuntimeOptionsPrompts (none), GetPluginInfo, Handshake.
//
// Not implemented: synchronous invokes (PULUMI_NODEJS_SYNC pipes), debugger attach,
// code generation (GenerateProject/Program/Package), Pack/Link, Template. Those RPCs
// answer Unimplemented.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is set at build time: -ldflags "-X main.version=...".
var version = "0.0.0-dev"

// The SDK's run shim exits with this code after it has already reported the error to the user.
const exitCodeErrorAlreadyReported = 32

func main() {
	fs := flag.NewFlagSet("pulumi-language-nodejs", flag.ContinueOnError)
	tracing := fs.String("tracing", "", "Zipkin-compatible tracing endpoint (passed on to the program)")
	// Accepted for compatibility with the engine's and upstream's command line; the
	// runtime options of Pulumi.yaml arrive in each request instead.
	_ = fs.String("root", "", "project root (ignored)")
	_ = fs.Bool("typescript", true, "ignored; see the runtime option")
	_ = fs.String("tsconfig", "", "ignored; see the runtime option")
	_ = fs.String("nodeargs", "", "ignored; see the runtime option")
	_ = fs.String("packagemanager", "", "ignored; see the runtime option")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	engineAddress := ""
	if fs.NArg() > 0 {
		engineAddress = fs.Arg(fs.NArg() - 1)
	}

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not find node on the PATH: %v\n", err)
		os.Exit(1)
	}

	// Stop serving when the engine goes away (e.g. the CLI was killed), as Pulumi's own
	// plugins do, instead of living on as an orphan.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, time.Minute, cancel); err != nil {
			fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start the engine health check: %v\n", err)
			os.Exit(1)
		}
	}
	stop := make(chan bool)
	go func() { <-ctx.Done(); close(stop) }()

	host := &languageHost{nodeBin: nodeBin, engineAddress: engineAddress, tracing: *tracing}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start the gRPC server: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from our first line of output.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: gRPC server stopped: %v\n", err)
		os.Exit(1)
	}
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	nodeBin string
	tracing string

	mu            sync.Mutex
	engineAddress string
}

func (h *languageHost) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

func (h *languageHost) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// ---- options ------------------------------------------------------------------------

type runtimeOptions struct {
	typescript     bool
	tsconfig       string
	nodeargs       string
	packagemanager string
}

func parseOptions(info *pulumirpc.ProgramInfo) (runtimeOptions, error) {
	opts := runtimeOptions{typescript: true}
	if info == nil || info.GetOptions() == nil {
		return opts, nil
	}
	for k, v := range info.GetOptions().AsMap() {
		switch k {
		case "typescript":
			b, ok := v.(bool)
			if !ok {
				return opts, fmt.Errorf("runtime option typescript must be a boolean, got %T", v)
			}
			opts.typescript = b
		case "tsconfig":
			opts.tsconfig = fmt.Sprint(v)
		case "nodeargs":
			opts.nodeargs = fmt.Sprint(v)
		case "packagemanager":
			opts.packagemanager = fmt.Sprint(v)
		}
	}
	return opts, nil
}

func programDir(info *pulumirpc.ProgramInfo, fallback string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	if fallback != "" {
		return fallback
	}
	wd, _ := os.Getwd()
	return wd
}

// resolveModule finds a module (e.g. "@pulumi/pulumi/cmd/run") the way Node would from dir.
func (h *languageHost) resolveModule(ctx context.Context, module, dir string) (string, error) {
	script := `process.stdout.write(require.resolve(process.argv[1], {paths: [process.argv[2]]}))`
	cmd := exec.CommandContext(ctx, h.nodeBin, "-e", script, module, dir)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("could not find module %s from %s; is @pulumi/pulumi installed "+
			"(npm install)? node said: %s", module, dir, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// ---- Run --------------------------------------------------------------------------------

func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	opts, err := parseOptions(req.GetInfo())
	if err != nil {
		return nil, err
	}
	dir := programDir(req.GetInfo(), req.GetPwd())

	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runPath == "" {
		if runPath, err = h.resolveModule(ctx, "@pulumi/pulumi/cmd/run", dir); err != nil {
			return &pulumirpc.RunResponse{Error: err.Error()}, nil
		}
	}

	configJSON, err := json.Marshal(nonNil(req.GetConfig()))
	if err != nil {
		return nil, fmt.Errorf("serializing config: %w", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("serializing config secret keys: %w", err)
	}

	args := strings.Fields(opts.nodeargs)
	args = append(args, runPath)
	add := func(flag, value string) {
		if value != "" {
			args = append(args, "--"+flag, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engine())
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	if req.GetInfo() != nil {
		add("root-directory", req.GetInfo().GetRootDirectory())
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() > 0 {
		add("parallel", fmt.Sprint(req.GetParallel()))
	}
	add("tracing", h.tracing)
	entry := "."
	if req.GetInfo() != nil && req.GetInfo().GetEntryPoint() != "" {
		entry = req.GetInfo().GetEntryPoint()
	} else if req.GetProgram() != "" {
		entry = req.GetProgram()
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON),
		fmt.Sprintf("PULUMI_NODEJS_TYPESCRIPT=%t", opts.typescript),
	)
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	cmd := exec.Command(h.nodeBin, args...) //nolint:gosec // runs the user's program, as intended
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := runWithContext(ctx, cmd); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitCodeErrorAlreadyReported {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited on signal %v", ws.Signal())}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// runWithContext runs cmd; if ctx ends first, the process gets SIGINT, then SIGKILL.
func runWithContext(ctx context.Context, cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			return <-done
		}
	}
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// ---- RunPlugin: policy packs and Node.js plugins ------------------------------------------

type streamWriter struct {
	mu     *sync.Mutex
	server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]
	stderr bool
}

func (w *streamWriter) Write(p []byte) (int, error) {
	b := append([]byte(nil), p...)
	resp := &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	if w.stderr {
		resp = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.server.Send(resp); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *languageHost) RunPlugin(req *pulumirpc.RunPluginRequest,
	server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	ctx := server.Context()
	opts, err := parseOptions(req.GetInfo())
	if err != nil {
		return err
	}
	dir := programDir(req.GetInfo(), req.GetPwd())
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(req.GetPwd(), dir)
	}

	args := strings.Fields(opts.nodeargs)
	if req.GetKind() == "analyzer" {
		// usage: run-policy-pack <engine-address> <program>
		runPath, err := h.resolveModule(ctx, "@pulumi/pulumi/cmd/run-policy-pack", dir)
		if err != nil {
			return err
		}
		args = append(args, runPath)
		args = append(args, req.GetArgs()...)
		args = append(args, dir)
	} else {
		// usage: run-plugin <program> [args...]; a provider reads the engine address from its args.
		runPath, err := h.resolveModule(ctx, "@pulumi/pulumi/cmd/run-plugin", dir)
		if err != nil {
			return err
		}
		args = append(args, runPath, dir)
		args = append(args, req.GetArgs()...)
	}

	env := req.GetEnv()
	if len(env) == 0 {
		env = os.Environ()
	}
	env = append(append([]string(nil), env...), fmt.Sprintf("PULUMI_NODEJS_TYPESCRIPT=%t", opts.typescript))
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	var mu sync.Mutex
	cmd := exec.Command(h.nodeBin, args...) //nolint:gosec // runs the user's plugin, as intended
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = &streamWriter{mu: &mu, server: server}
	cmd.Stderr = &streamWriter{mu: &mu, server: server, stderr: true}
	code := int32(0)
	if err := runWithContext(ctx, cmd); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return fmt.Errorf("could not run node: %w", err)
		}
		code = int32(exitErr.ExitCode())
	}
	mu.Lock()
	defer mu.Unlock()
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

// ---- required plugins/packages ---------------------------------------------------------------

type packageJSON struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	Main            string            `json:"main"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Pulumi          *struct {
		Resource         bool   `json:"resource"`
		Name             string `json:"name"`
		Version          string `json:"version"`
		Server           string `json:"server"`
		Parameterization *struct {
			Name    string `json:"name"`
			Version string `json:"version"`
			Value   string `json:"value"` // base64
		} `json:"parameterization"`
	} `json:"pulumi"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &p, nil
}

// nodeModulesRoot is the nearest folder, from dir upwards, that has a node_modules folder.
func nodeModulesRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if st, err := os.Stat(filepath.Join(d, "node_modules")); err == nil && st.IsDir() {
			return filepath.Join(d, "node_modules")
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// walkPackages calls fn for every package.json of a package in nodeModules, nested
// node_modules included. Symlinked packages (workspaces) are followed once.
func walkPackages(nodeModules string, fn func(path string, p *packageJSON)) error {
	seen := map[string]bool{}
	var walk func(nm string) error
	visitPkg := func(pkgDir string) error {
		real, err := filepath.EvalSymlinks(pkgDir)
		if err != nil || seen[real] {
			return nil //nolint:nilerr // dangling symlink: skip
		}
		seen[real] = true
		pj := filepath.Join(real, "package.json")
		if p, err := readPackageJSON(pj); err == nil {
			fn(pj, p)
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return walk(filepath.Join(real, "node_modules"))
	}
	walk = func(nm string) error {
		entries, err := os.ReadDir(nm)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			if strings.HasPrefix(name, "@") {
				scoped, err := os.ReadDir(filepath.Join(nm, name))
				if err != nil {
					continue
				}
				for _, s := range scoped {
					if err := visitPkg(filepath.Join(nm, name, s.Name())); err != nil {
						return err
					}
				}
				continue
			}
			if err := visitPkg(filepath.Join(nm, name)); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(nodeModules)
}

func pluginName(p *packageJSON) string {
	if p.Pulumi != nil && p.Pulumi.Name != "" {
		return p.Pulumi.Name
	}
	n := p.Name
	if strings.HasPrefix(n, "@pulumi/") {
		return strings.TrimPrefix(n, "@pulumi/")
	}
	return strings.TrimPrefix(n, "@")
}

func pluginVersion(p *packageJSON) string {
	v := p.Version
	if p.Pulumi != nil && p.Pulumi.Version != "" {
		v = p.Pulumi.Version
	}
	if v != "" && !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	return v
}

func (h *languageHost) requiredPackages(dir string) ([]*pulumirpc.PackageDependency, error) {
	nm := nodeModulesRoot(dir)
	if nm == "" {
		return nil, nil
	}
	byKey := map[string]*pulumirpc.PackageDependency{}
	err := walkPackages(nm, func(path string, p *packageJSON) {
		if p.Pulumi == nil || !p.Pulumi.Resource {
			return
		}
		dep := &pulumirpc.PackageDependency{
			Name:    pluginName(p),
			Kind:    "resource",
			Version: pluginVersion(p),
			Server:  p.Pulumi.Server,
		}
		if pz := p.Pulumi.Parameterization; pz != nil {
			value, err := base64.StdEncoding.DecodeString(pz.Value)
			if err == nil {
				dep.Parameterization = &pulumirpc.PackageParameterization{
					Name: pz.Name, Version: pz.Version, Value: value,
				}
			}
		}
		key := dep.Name + "@" + dep.Version
		if dep.Parameterization != nil {
			key += "/" + dep.Parameterization.Name + "@" + dep.Parameterization.Version
		}
		byKey[key] = dep
	})
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	deps := make([]*pulumirpc.PackageDependency, 0, len(keys))
	for _, k := range keys {
		deps = append(deps, byKey[k])
	}
	return deps, nil
}

func (h *languageHost) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	deps, err := h.requiredPackages(programDir(req.GetInfo(), ""))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

func (h *languageHost) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	deps, err := h.requiredPackages(programDir(req.GetInfo(), req.GetPwd()))
	if err != nil {
		return nil, err
	}
	var plugins []*pulumirpc.PluginDependency
	for _, d := range deps {
		if d.Parameterization != nil {
			continue // parameterized packages cannot be expressed as plain plugins
		}
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: d.Name, Kind: d.Kind, Version: d.Version, Server: d.Server,
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

// ---- dependencies, about, prompts ---------------------------------------------------------------

func (h *languageHost) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := programDir(req.GetInfo(), req.GetPwd())
	p, err := readPackageJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, fmt.Errorf("reading package.json: %w", err)
	}
	names := map[string]bool{}
	for n := range p.Dependencies {
		names[n] = true
	}
	for n := range p.DevDependencies {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	nm := nodeModulesRoot(dir)
	var deps []*pulumirpc.DependencyInfo
	for _, n := range sorted {
		v := p.Dependencies[n]
		if v == "" {
			v = p.DevDependencies[n]
		}
		if nm != "" {
			if installed, err := readPackageJSON(filepath.Join(nm, n, "package.json")); err == nil && installed.Version != "" {
				v = installed.Version
			}
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: n, Version: v})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *languageHost) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	out, err := exec.CommandContext(ctx, h.nodeBin, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: h.nodeBin,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
		Metadata:   map[string]string{"languageHost": "leasehold pulumi-language-nodejs " + version},
	}, nil
}

func (h *languageHost) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// ---- InstallDependencies ------------------------------------------------------------------------

func (h *languageHost) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	opts, err := parseOptions(req.GetInfo())
	if err != nil {
		return err
	}
	dir := req.GetDirectory()
	if dir == "" {
		dir = programDir(req.GetInfo(), "")
	}
	pm := opts.packagemanager
	if pm == "" || pm == "auto" {
		switch {
		case exists(filepath.Join(dir, "pnpm-lock.yaml")):
			pm = "pnpm"
		case exists(filepath.Join(dir, "yarn.lock")):
			pm = "yarn"
		default:
			pm = "npm"
		}
	}
	bin, err := exec.LookPath(pm)
	if err != nil {
		return status.Errorf(codes.FailedPrecondition, "package manager %s not found on PATH", pm)
	}
	var mu sync.Mutex
	send := func(stderr bool) io.Writer {
		return writerFunc(func(p []byte) (int, error) {
			b := append([]byte(nil), p...)
			resp := &pulumirpc.InstallDependenciesResponse{Stdout: b}
			if stderr {
				resp = &pulumirpc.InstallDependenciesResponse{Stderr: b}
			}
			mu.Lock()
			defer mu.Unlock()
			if err := server.Send(resp); err != nil {
				return 0, err
			}
			return len(p), nil
		})
	}
	cmd := exec.Command(bin, "install") //nolint:gosec
	cmd.Dir = dir
	cmd.Stdout = send(false)
	cmd.Stderr = send(true)
	if err := runWithContext(server.Context(), cmd); err != nil {
		return fmt.Errorf("%s install in %s failed: %w", pm, dir, err)
	}
	return nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
