package cli_test

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestDeploy checks deploy/ against the millwright binary: every subcommand,
// flag and MILLWRIGHT_* variable a manifest uses must exist, every address a
// component listens on or dials must match the ports and services declared,
// and every probe must target a port the container serves.
func TestDeploy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	root := repoRoot(t)
	deployDir := filepath.Join(root, "deploy")
	df := parseDockerfile(t, filepath.Join(deployDir, "Dockerfile"))
	bin := buildBinary(t, df.versionVar)
	c := discoverCLI(t, bin)
	listened := map[int]bool{}

	files := deployFiles(t, deployDir)
	for _, rel := range files {
		path := filepath.Join(deployDir, rel)
		switch {
		case rel == "Dockerfile":
		case rel == "Dockerfile.dockerignore":
			t.Run(rel, func(t *testing.T) { checkDockerignore(t, root, path, df) })
		case rel == "compose.yaml":
			t.Run(rel, func(t *testing.T) { checkCompose(t, c, df, root, path, listened) })
		case strings.HasSuffix(rel, ".md"):
			t.Run(rel, func(t *testing.T) { checkDoc(t, c, path) })
		case strings.HasPrefix(rel, "kubernetes/") && strings.HasSuffix(rel, ".yaml"):
		default:
			t.Errorf("deploy/%s: no check covers this file; add one to deploy_test.go", rel)
		}
	}
	t.Run("kubernetes", func(t *testing.T) { checkKubernetes(t, c, df, root, filepath.Join(deployDir, "kubernetes"), listened) })
	t.Run("Dockerfile", func(t *testing.T) { checkDockerfile(t, c, df, root, listened) })
}

// What the binary does that its --help does not say.
var (
	// Commands that open the services' databases.
	needsDatabase = map[string]bool{
		"migrate": true, "admin create-account": true, "admin set-credits": true,
		"serve connection": true, "serve entity": true, "serve sync": true,
	}
	// Commands that refuse to start without --secret-key.
	needsSecretKey = map[string]bool{
		"serve connection": true, "serve entity": true, "serve sync": true, "serve gateway": true,
	}
	// The services' addresses: a serve component is given every other one,
	// since which component calls which changes as the services grow.
	addrFlags = []string{"connection-addr", "entity-addr", "sync-addr"}
)

// ---- the binary ----

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the test's directory")
		}
		dir = parent
	}
}

const testVersion = "deploy-test"

// buildBinary builds millwright, setting versionVar (the Dockerfile's -X
// target) when there is one, and checks that it took.
func buildBinary(t *testing.T, versionVar string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "millwright")
	args := []string{"build", "-o", bin}
	if versionVar != "" {
		args = append(args, "-ldflags", "-X "+versionVar+"="+testVersion)
	}
	args = append(args, "github.com/millwright-dev/millwright/services/millwright/cmd/millwright")
	cmd := exec.Command("go", args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if versionVar != "" {
		out, _, _ := runBin(t, bin, "version")
		if !strings.Contains(out, testVersion) {
			t.Errorf("Dockerfile: -X %s does not set the version: 'millwright version' printed %q", versionVar, out)
		}
	}
	return bin
}

// runBin runs the binary with no MILLWRIGHT_* variables in a scratch directory.
func runBin(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MILLWRIGHT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// command is one runnable command line: "migrate", "serve gateway", ...
type command struct {
	flags    map[string]string // flag name -> default
	envFlags map[string]string // MILLWRIGHT_* -> flag name
}

type cliSpec struct {
	subs     map[string][]string // top-level command -> its components/actions, if any
	commands map[string]*command
}

func (c *cliSpec) allEnv() map[string]bool {
	m := map[string]bool{}
	for _, cmd := range c.commands {
		for e := range cmd.envFlags {
			m[e] = true
		}
	}
	return m
}

var (
	commandLine = regexp.MustCompile(`^  ([a-z][a-z-]*)\s`)
	flagLine    = regexp.MustCompile(`^\s+--([a-z0-9-]+) \(env (MILLWRIGHT_[A-Z0-9_]+), default ("(?:[^"\\]|\\.)*")\)$`)
)

// discoverCLI reads the commands, components and flags from --help.
func discoverCLI(t *testing.T, bin string) *cliSpec {
	t.Helper()
	c := &cliSpec{subs: map[string][]string{}, commands: map[string]*command{}}
	out, _, code := runBin(t, bin, "--help")
	if code != 0 {
		t.Fatalf("millwright --help: exit %d", code)
	}
	_, list, _ := strings.Cut(out, "Commands:")
	for _, line := range strings.Split(list, "\n") {
		if m := commandLine.FindStringSubmatch(line); m != nil {
			c.subs[m[1]] = nil
		}
	}
	if len(c.subs) == 0 {
		t.Fatalf("millwright --help lists no commands:\n%s", out)
	}
	for name := range c.subs {
		stdout, stderr, code := runBin(t, bin, name, "--help")
		if code == 0 {
			c.commands[name] = parseFlags(t, name, stdout+stderr)
			continue
		}
		// A command with components or actions names them when given none.
		_, stderr, _ = runBin(t, bin, name)
		i := strings.LastIndex(stderr, "millwright "+name+" ")
		if i < 0 {
			t.Fatalf("millwright %s --help: exit %d and no usage of its components:\n%s", name, code, stderr)
		}
		usage := stderr[i+len("millwright "+name+" "):]
		for _, alt := range strings.Split(usage, "|") {
			if f := strings.Fields(alt); len(f) > 0 {
				c.subs[name] = append(c.subs[name], f[0])
			}
		}
		for _, sub := range c.subs[name] {
			stdout, stderr, code := runBin(t, bin, name, sub, "--help")
			if code != 0 {
				t.Fatalf("millwright %s %s --help: exit %d\n%s", name, sub, code, stderr)
			}
			c.commands[name+" "+sub] = parseFlags(t, name+" "+sub, stdout+stderr)
		}
	}
	if len(c.subs["serve"]) == 0 {
		t.Fatal("millwright serve names no components")
	}
	return c
}

func parseFlags(t *testing.T, name, help string) *command {
	t.Helper()
	cmd := &command{flags: map[string]string{}, envFlags: map[string]string{}}
	for _, line := range strings.Split(help, "\n") {
		m := flagLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		def, err := strconv.Unquote(m[3])
		if err != nil {
			t.Fatalf("millwright %s --help: default of --%s: %v", name, m[1], err)
		}
		cmd.flags[m[1]] = def
		cmd.envFlags[m[2]] = m[1]
	}
	return cmd
}

// ---- one invocation of the binary ----

// envValue is a variable given to a container; known is false when the value
// comes from a Secret or the host.
type envValue struct {
	value  string
	known  bool
	secret bool
}

// invocation is a checked command line with its effective flag values.
type invocation struct {
	key, top, sub string
	values        map[string]string // flag -> effective value ("" unset)
	set           map[string]bool   // flag given by argument or variable
	secret        map[string]bool   // flag whose value comes from a secret
}

// invoke checks argv (after the binary) and env against the binary and
// returns the effective configuration; nil when the command is unknown.
func invoke(t *testing.T, c *cliSpec, where string, argv []string, env map[string]envValue) *invocation {
	t.Helper()
	if len(argv) == 0 {
		t.Errorf("%s: runs millwright with no command", where)
		return nil
	}
	subs, ok := c.subs[argv[0]]
	if !ok {
		t.Errorf("%s: millwright has no command %q", where, argv[0])
		return nil
	}
	inv := &invocation{key: argv[0], top: argv[0], values: map[string]string{}, set: map[string]bool{}, secret: map[string]bool{}}
	rest := argv[1:]
	if subs != nil {
		if len(rest) == 0 || !slices.Contains(subs, rest[0]) {
			t.Errorf("%s: 'millwright %s' needs one of %v, got %v", where, argv[0], subs, rest)
			return nil
		}
		inv.sub, inv.key, rest = rest[0], argv[0]+" "+rest[0], rest[1:]
	}
	cmd := c.commands[inv.key]
	for name, def := range cmd.flags {
		inv.values[name] = def
	}
	for name, v := range env {
		if !strings.HasPrefix(name, "MILLWRIGHT_") {
			continue
		}
		flag, ok := cmd.envFlags[name]
		if !ok {
			t.Errorf("%s: millwright %s has no variable %s", where, inv.key, name)
			continue
		}
		inv.values[flag], inv.set[flag], inv.secret[flag] = v.value, true, v.secret
		if !v.known {
			inv.values[flag] = "(" + name + ")"
		}
	}
	for i := 0; i < len(rest); i++ {
		arg := rest[i]
		if !strings.HasPrefix(arg, "-") {
			if inv.key != "migrate" {
				t.Errorf("%s: millwright %s takes no argument %q", where, inv.key, arg)
			}
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if _, ok := cmd.flags[name]; !ok {
			t.Errorf("%s: millwright %s has no flag --%s", where, inv.key, name)
			continue
		}
		if !hasValue && i+1 < len(rest) && !strings.HasPrefix(rest[i+1], "-") {
			value, i = rest[i+1], i+1
		}
		inv.values[name], inv.set[name], inv.secret[name] = value, true, false
	}
	if needsDatabase[inv.key] && !inv.set["database-url"] {
		t.Errorf("%s: millwright %s needs MILLWRIGHT_DATABASE_URL (it would fall back to SQLite)", where, inv.key)
	}
	if needsSecretKey[inv.key] && !inv.set["secret-key"] {
		t.Errorf("%s: millwright %s needs MILLWRIGHT_SECRET_KEY", where, inv.key)
	}
	return inv
}

// listen is the address a serve component listens on.
func (inv *invocation) listen() string {
	if inv.top != "serve" {
		return ""
	}
	if l := inv.values["listen"]; l != "" {
		return l
	}
	if inv.sub == "gateway" {
		return inv.values["gateway-addr"]
	}
	return inv.values[inv.sub+"-addr"]
}

// servedPorts checks that the component listens on all interfaces and returns
// its main and metrics ports (0 when none).
func (inv *invocation) servedPorts(t *testing.T, where string) (main, metrics int) {
	t.Helper()
	if inv.top != "serve" {
		return 0, 0
	}
	main = wildcardPort(t, where, "listen", inv.listen())
	if m := inv.values["metrics-addr"]; m != "" {
		if inv.sub == "gateway" {
			t.Errorf("%s: the gateway ignores --metrics-addr: it serves /metrics on its own port", where)
		} else {
			metrics = wildcardPort(t, where, "metrics-addr", m)
		}
	}
	return main, metrics
}

func wildcardPort(t *testing.T, where, flag, addr string) int {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Errorf("%s: --%s %q: %v", where, flag, addr, err)
		return 0
	}
	if host != "" && host != "0.0.0.0" && host != "::" {
		t.Errorf("%s: --%s %q: a container must listen on all interfaces (0.0.0.0:PORT)", where, flag, addr)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Errorf("%s: --%s %q: bad port", where, flag, addr)
	}
	return p
}

// dialed returns the address flags of the other services, for a serve component.
func (inv *invocation) dialed() []string {
	var out []string
	for _, f := range addrFlags {
		if inv.top == "serve" && f != inv.sub+"-addr" {
			out = append(out, f)
		}
	}
	return out
}

func splitDial(t *testing.T, where, flag, addr string) (host string, port int, ok bool) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Errorf("%s: --%s %q: %v", where, flag, addr, err)
		return "", 0, false
	}
	n, err := strconv.Atoi(p)
	if err != nil || h == "" || net.ParseIP(h) != nil || h == "localhost" {
		t.Errorf("%s: --%s %q: want SERVICE:PORT naming a service", where, flag, addr)
		return "", 0, false
	}
	return h, n, true
}

// ---- Dockerfile ----

type dockerStage struct {
	from, name string
	env        map[string]string
	runs       []string
	copies     [][]string
	user       string
	entrypoint []string
	cmd        []string
	expose     []int
}

type dockerfile struct {
	path       string
	stages     []*dockerStage
	versionVar string // the -X target that sets the version
	buildPkg   string // the package go build builds
	buildOut   string // its -o
}

func (d *dockerfile) final() *dockerStage { return d.stages[len(d.stages)-1] }

var (
	ldflagX  = regexp.MustCompile(`-X ([^=\s"]+)=`)
	outFlag  = regexp.MustCompile(`-o\s+(\S+)`)
	buildPkg = regexp.MustCompile(`\s(\./\S+)\s*$`)
)

func parseDockerfile(t *testing.T, path string) *dockerfile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := &dockerfile{path: path}
	var lines []string
	var cur strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	var st *dockerStage
	for _, line := range lines {
		instr, rest, _ := strings.Cut(line, " ")
		instr, rest = strings.ToUpper(instr), strings.TrimSpace(rest)
		if instr != "FROM" && st == nil {
			if instr == "ARG" {
				continue
			}
			t.Fatalf("Dockerfile: %s before FROM", instr)
		}
		f := strings.Fields(rest)
		switch instr {
		case "FROM":
			st = &dockerStage{env: map[string]string{}}
			for i, w := range f {
				if strings.HasPrefix(w, "--") {
					continue
				}
				if st.from == "" {
					st.from = w
				} else if strings.EqualFold(w, "AS") && i+1 < len(f) {
					st.name = f[i+1]
				}
			}
			d.stages = append(d.stages, st)
		case "ENV":
			for _, kv := range f {
				if k, v, ok := strings.Cut(kv, "="); ok {
					st.env[k] = strings.Trim(v, `"`)
				}
			}
		case "RUN":
			st.runs = append(st.runs, rest)
		case "COPY":
			st.copies = append(st.copies, f)
		case "USER":
			st.user = rest
		case "EXPOSE":
			for _, p := range f {
				n, err := strconv.Atoi(strings.TrimSuffix(p, "/tcp"))
				if err != nil {
					t.Fatalf("Dockerfile: EXPOSE %s", p)
				}
				st.expose = append(st.expose, n)
			}
		case "ENTRYPOINT", "CMD":
			var v []string
			if err := json.Unmarshal([]byte(rest), &v); err != nil {
				t.Fatalf("Dockerfile: %s must be in exec form (a JSON array): %s", instr, rest)
			}
			if instr == "ENTRYPOINT" {
				st.entrypoint = v
			} else {
				st.cmd = v
			}
		}
	}
	if len(d.stages) < 2 {
		t.Fatalf("Dockerfile: want a build stage and a runtime stage, got %d stage(s)", len(d.stages))
	}
	if len(d.final().entrypoint) != 1 {
		t.Fatalf("Dockerfile: ENTRYPOINT %q, want the binary alone", d.final().entrypoint)
	}
	for _, run := range d.stages[0].runs {
		if !strings.Contains(run, "go build") {
			continue
		}
		if m := ldflagX.FindStringSubmatch(run); m != nil {
			d.versionVar = m[1]
		}
		if m := outFlag.FindStringSubmatch(run); m != nil {
			d.buildOut = m[1]
		}
		if m := buildPkg.FindStringSubmatch(run); m != nil {
			d.buildPkg = m[1]
		}
	}
	return d
}

func checkDockerfile(t *testing.T, c *cliSpec, d *dockerfile, root string, listened map[int]bool) {
	build, final := d.stages[0], d.final()
	goVersion := goWorkVersion(t, root)
	image, tag, _ := strings.Cut(build.from, ":")
	if image != "golang" || !(tag == goVersion || strings.HasPrefix(tag, goVersion+".") || strings.HasPrefix(tag, goVersion+"-")) {
		t.Errorf("Dockerfile: build stage FROM %s, want golang:%s (go.work)", build.from, goVersion)
	}
	if d.buildPkg == "" || d.buildOut == "" {
		t.Fatalf("Dockerfile: no 'go build -o OUT ./PACKAGE' in the build stage")
	}
	if d.buildPkg != "./services/millwright/cmd/millwright" {
		t.Errorf("Dockerfile: builds %s, want ./services/millwright/cmd/millwright", d.buildPkg)
	}
	if _, err := os.Stat(filepath.Join(root, d.buildPkg, "main.go")); err != nil {
		t.Errorf("Dockerfile: builds %s: %v", d.buildPkg, err)
	}
	cgoOff := build.env["CGO_ENABLED"] == "0"
	for _, run := range build.runs {
		cgoOff = cgoOff || strings.Contains(run, "CGO_ENABLED=0")
	}
	if !cgoOff {
		t.Error("Dockerfile: the build stage must set CGO_ENABLED=0")
	}
	if d.versionVar == "" {
		t.Error("Dockerfile: go build sets no version (-ldflags -X ...cli.Version=...)")
	}
	copied := false
	for _, cp := range final.copies {
		if len(cp) >= 3 && strings.HasPrefix(cp[0], "--from=") && cp[len(cp)-2] == d.buildOut && cp[len(cp)-1] == final.entrypoint[0] {
			copied = true
		}
	}
	if !copied {
		t.Errorf("Dockerfile: the runtime stage must COPY --from=<build> %s %s", d.buildOut, final.entrypoint[0])
	}
	uid, _, _ := strings.Cut(final.user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("Dockerfile: USER %q: want a numeric non-root uid (runAsNonRoot can only verify a number)", final.user)
	}
	for name := range final.env {
		if !strings.HasPrefix(name, "MILLWRIGHT_") {
			continue
		}
		for key, cmd := range c.commands {
			if (strings.HasPrefix(key, "serve ") || key == "migrate") && cmd.envFlags[name] == "" {
				t.Errorf("Dockerfile: ENV %s: millwright %s has no such variable", name, key)
			}
		}
	}
	if final.cmd != nil {
		invoke(t, c, "Dockerfile CMD", final.cmd, nil)
	}
	for _, p := range final.expose {
		if !listened[p] {
			t.Errorf("Dockerfile: EXPOSE %d: no manifest runs a component on it", p)
		}
	}
}

func goWorkVersion(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "go.work"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			parts := strings.Split(v, ".")
			if len(parts) >= 2 {
				return parts[0] + "." + parts[1]
			}
		}
	}
	t.Fatal("go.work: no go directive")
	return ""
}

func goWorkUses(t *testing.T, root string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "go.work"))
	if err != nil {
		t.Fatal(err)
	}
	var uses []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "use (":
			in = true
		case in && line == ")":
			in = false
		case in && line != "":
			uses = append(uses, filepath.Clean(line))
		case strings.HasPrefix(line, "use "):
			uses = append(uses, filepath.Clean(strings.TrimPrefix(line, "use ")))
		}
	}
	return uses
}

// checkDockerignore makes sure the context keeps what the build needs.
func checkDockerignore(t *testing.T, root, path string, d *dockerfile) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	needed := append([]string{"go.work", "go.work.sum", filepath.Clean(d.buildPkg)}, goWorkUses(t, root)...)
	for _, line := range strings.Split(string(b), "\n") {
		pat := strings.TrimSpace(line)
		if pat == "" || strings.HasPrefix(pat, "#") || strings.HasPrefix(pat, "!") {
			continue
		}
		pat = strings.TrimSuffix(strings.TrimPrefix(pat, "/"), "/")
		for _, n := range needed {
			parts := strings.Split(n, "/")
			for i := range parts {
				prefix := strings.Join(parts[:i+1], "/")
				match, _ := filepath.Match(pat, prefix)
				if base, ok := strings.CutPrefix(pat, "**/"); ok {
					m2, _ := filepath.Match(base, parts[i])
					match = match || m2
				}
				if match {
					t.Errorf("%s: %q leaves %s out of the build context", filepath.Base(path), pat, n)
				}
			}
		}
	}
}

// ---- Kubernetes ----

type meta struct {
	Name        string
	Labels      map[string]string
	Annotations map[string]string
}

type secContext struct {
	RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
	ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
	AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
}

type keyRef struct{ Name, Key string }

type probe struct {
	GRPC *struct {
		Port int
	} `yaml:"grpc"`
	HTTPGet *struct {
		Path string
		Port string
	} `yaml:"httpGet"`
	TCPSocket *struct {
		Port string
	} `yaml:"tcpSocket"`
	Exec *struct {
		Command []string
	}
}

type k8sContainer struct {
	Name    string
	Image   string
	Command []string
	Args    []string
	Env     []struct {
		Name      string
		Value     string
		ValueFrom *struct {
			SecretKeyRef    *keyRef `yaml:"secretKeyRef"`
			ConfigMapKeyRef *keyRef `yaml:"configMapKeyRef"`
		} `yaml:"valueFrom"`
	}
	EnvFrom []struct {
		Prefix       string
		ConfigMapRef *struct{ Name string } `yaml:"configMapRef"`
		SecretRef    *struct{ Name string } `yaml:"secretRef"`
	} `yaml:"envFrom"`
	Ports []struct {
		Name          string
		ContainerPort int `yaml:"containerPort"`
	}
	StartupProbe   *probe `yaml:"startupProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	Resources      struct {
		Requests map[string]string
		Limits   map[string]string
	}
	SecurityContext secContext `yaml:"securityContext"`
}

type podTemplate struct {
	Metadata meta
	Spec     struct {
		TerminationGracePeriodSeconds *int           `yaml:"terminationGracePeriodSeconds"`
		SecurityContext               secContext     `yaml:"securityContext"`
		Containers                    []k8sContainer `yaml:"containers"`
		InitContainers                []k8sContainer `yaml:"initContainers"`
	}
}

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type backendRef struct {
	Name string
	Kind string
	Port int
}

type k8sObject struct {
	file       string
	APIVersion string `yaml:"apiVersion"`
	Kind       string
	Metadata   meta
	Spec       struct {
		// Deployment, Job, PodDisruptionBudget
		Template podTemplate
		Selector yaml.Node
		// Service
		Ports []struct {
			Name       string
			Port       int
			TargetPort string `yaml:"targetPort"`
		}
		// GRPCRoute, HTTPRoute
		Rules []struct {
			Matches []struct {
				Method *struct{ Service, Method string }
			}
			BackendRefs []backendRef `yaml:"backendRefs"`
		}
	}
	Data       map[string]string
	StringData map[string]string `yaml:"stringData"`
	// Kustomization
	Resources []string
	Images    []struct {
		Name    string
		NewName string `yaml:"newName"`
		NewTag  string `yaml:"newTag"`
	} `yaml:"images"`
}

func (o *k8sObject) where() string { return fmt.Sprintf("%s %s/%s", o.file, o.Kind, o.Metadata.Name) }

// selector is spec.selector: a plain map (Service) or matchLabels.
func (o *k8sObject) selector(t *testing.T) map[string]string {
	var m map[string]string
	if o.Spec.Selector.Kind == 0 {
		return nil
	}
	if o.Kind == "Service" {
		if err := o.Spec.Selector.Decode(&m); err != nil {
			t.Errorf("%s: selector: %v", o.where(), err)
		}
		return m
	}
	var ls labelSelector
	if err := o.Spec.Selector.Decode(&ls); err != nil {
		t.Errorf("%s: selector: %v", o.where(), err)
	}
	return ls.MatchLabels
}

// k8sRun is one container running millwright.
type k8sRun struct {
	obj       *k8sObject
	where     string
	inv       *invocation
	ports     map[string]int // container port name -> number
	portSet   map[int]bool
	main, met int
}

func (r *k8sRun) resolvePort(ref string) (int, bool) {
	if n, err := strconv.Atoi(ref); err == nil {
		return n, r.portSet[n]
	}
	n, ok := r.ports[ref]
	return n, ok
}

func loadYAML(t *testing.T, path string) []*yaml.Node {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(bufio.NewReader(f))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(path), err)
		}
		if len(n.Content) > 0 && n.Content[0].Kind != yaml.ScalarNode {
			docs = append(docs, &n)
		}
	}
	return docs
}

var knownKinds = map[string]bool{
	"Deployment": true, "Job": true, "Service": true, "PodDisruptionBudget": true,
	"Secret": true, "ConfigMap": true, "GRPCRoute": true, "HTTPRoute": true, "Kustomization": true,
}

func checkKubernetes(t *testing.T, c *cliSpec, d *dockerfile, root, dir string, listened map[int]bool) {
	entries, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(entries) == 0 {
		t.Fatalf("no manifests in %s", dir)
	}
	var objs []*k8sObject
	byKind := map[string]map[string]*k8sObject{}
	for _, path := range entries {
		for _, n := range loadYAML(t, path) {
			o := &k8sObject{file: "kubernetes/" + filepath.Base(path)}
			if err := n.Decode(o); err != nil {
				t.Fatalf("%s: %v", o.file, err)
			}
			if !knownKinds[o.Kind] {
				t.Errorf("%s: no check covers kind %q; add one to deploy_test.go", o.where(), o.Kind)
				continue
			}
			if byKind[o.Kind] == nil {
				byKind[o.Kind] = map[string]*k8sObject{}
			}
			if _, dup := byKind[o.Kind][o.Metadata.Name]; dup {
				t.Errorf("%s: defined twice", o.where())
			}
			byKind[o.Kind][o.Metadata.Name] = o
			objs = append(objs, o)
		}
	}
	secretKeys := func(name string) map[string]bool {
		s := byKind["Secret"][name]
		if s == nil {
			return nil
		}
		m := map[string]bool{}
		for k := range s.StringData {
			m[k] = true
		}
		for k := range s.Data {
			m[k] = true
		}
		return m
	}

	// Every millwright container.
	var runs []*k8sRun
	var image string
	for _, o := range objs {
		if o.Kind != "Deployment" && o.Kind != "Job" {
			continue
		}
		tpl := &o.Spec.Template
		if o.Kind == "Deployment" {
			if sel := o.selector(t); len(sel) == 0 || !labelsMatch(sel, tpl.Metadata.Labels) {
				t.Errorf("%s: selector %v does not match the pod labels %v", o.where(), sel, tpl.Metadata.Labels)
			}
		}
		if len(tpl.Spec.InitContainers) > 0 {
			t.Errorf("%s: init containers are not checked; add a check to deploy_test.go", o.where())
		}
		for i := range tpl.Spec.Containers {
			ct := &tpl.Spec.Containers[i]
			where := fmt.Sprintf("%s container %s", o.where(), ct.Name)
			name, _, _ := strings.Cut(ct.Image, ":")
			if image == "" {
				image = name
			} else if name != image {
				t.Errorf("%s: image %s, others use %s", where, ct.Image, image)
			}
			argv := append(slices.Clone(ct.Command), ct.Args...)
			if ct.Command == nil {
				argv = append(slices.Clone(d.final().entrypoint), ct.Args...)
			}
			if len(argv) == 0 || argv[0] != d.final().entrypoint[0] {
				t.Errorf("%s: runs %q, want the image's %s", where, argv, d.final().entrypoint[0])
				continue
			}
			env := map[string]envValue{}
			for _, ef := range ct.EnvFrom {
				switch {
				case ef.ConfigMapRef != nil:
					cm := byKind["ConfigMap"][ef.ConfigMapRef.Name]
					if cm == nil {
						t.Errorf("%s: envFrom ConfigMap %s is not in deploy/kubernetes", where, ef.ConfigMapRef.Name)
						continue
					}
					for k, v := range cm.Data {
						env[ef.Prefix+k] = envValue{value: v, known: true}
					}
				case ef.SecretRef != nil:
					keys := secretKeys(ef.SecretRef.Name)
					if keys == nil {
						t.Errorf("%s: envFrom Secret %s is not in deploy/kubernetes", where, ef.SecretRef.Name)
					}
					for k := range keys {
						env[ef.Prefix+k] = envValue{secret: true}
					}
				}
			}
			for _, e := range ct.Env {
				switch {
				case e.ValueFrom == nil:
					env[e.Name] = envValue{value: e.Value, known: true}
				case e.ValueFrom.SecretKeyRef != nil:
					ref := e.ValueFrom.SecretKeyRef
					if !secretKeys(ref.Name)[ref.Key] {
						t.Errorf("%s: %s: Secret %s has no key %q", where, e.Name, ref.Name, ref.Key)
					}
					env[e.Name] = envValue{secret: true}
				case e.ValueFrom.ConfigMapKeyRef != nil:
					ref := e.ValueFrom.ConfigMapKeyRef
					cm := byKind["ConfigMap"][ref.Name]
					v, ok := "", false
					if cm != nil {
						v, ok = cm.Data[ref.Key]
					}
					if !ok {
						t.Errorf("%s: %s: ConfigMap %s has no key %q", where, e.Name, ref.Name, ref.Key)
					}
					env[e.Name] = envValue{value: v, known: true}
				default:
					env[e.Name] = envValue{}
				}
			}
			inv := invoke(t, c, where, argv[1:], env)
			if inv == nil {
				continue
			}
			for _, f := range []string{"database-url", "secret-key"} {
				if inv.set[f] && !inv.secret[f] {
					t.Errorf("%s: --%s must come from a Secret", where, f)
				}
			}
			r := &k8sRun{obj: o, where: where, inv: inv, ports: map[string]int{}, portSet: map[int]bool{}}
			for _, p := range ct.Ports {
				r.portSet[p.ContainerPort] = true
				if p.Name != "" {
					r.ports[p.Name] = p.ContainerPort
				}
			}
			r.main, r.met = inv.servedPorts(t, where)
			checkPodPorts(t, r, ct, listened)
			checkPodSecurity(t, where, tpl, ct)
			grace := 30
			if g := tpl.Spec.TerminationGracePeriodSeconds; g != nil {
				grace = *g
			}
			if sg, err := time.ParseDuration(inv.values["shutdown-grace"]); err == nil && time.Duration(grace)*time.Second <= sg {
				t.Errorf("%s: terminationGracePeriodSeconds %d does not exceed --shutdown-grace %s", where, grace, sg)
			}
			if p := tpl.Metadata.Annotations["prometheus.io/port"]; p != "" {
				n, _ := strconv.Atoi(p)
				if n == 0 || (n != r.met && !(inv.sub == "gateway" && n == r.main)) {
					t.Errorf("%s: prometheus.io/port %s is not where it serves /metrics", where, p)
				}
			}
			runs = append(runs, r)
		}
	}

	// Services, and what they route to.
	serviceTarget := func(where, name string, port int) *k8sRun {
		s := byKind["Service"][name]
		if s == nil {
			t.Errorf("%s: no Service %s in deploy/kubernetes", where, name)
			return nil
		}
		for _, sp := range s.Spec.Ports {
			if sp.Port != port {
				continue
			}
			target := cmp.Or(sp.TargetPort, strconv.Itoa(sp.Port))
			for _, r := range runs {
				if r.obj.Kind != "Deployment" || !labelsMatch(s.selector(t), r.obj.Spec.Template.Metadata.Labels) {
					continue
				}
				if n, ok := r.resolvePort(target); ok && n == r.main {
					return r
				}
			}
			t.Errorf("%s: Service %s port %d reaches no component's listen port", where, name, port)
			return nil
		}
		t.Errorf("%s: Service %s has no port %d", where, name, port)
		return nil
	}
	for _, s := range byKind["Service"] {
		sel := s.selector(t)
		var pods []*k8sRun
		for _, r := range runs {
			if r.obj.Kind == "Deployment" && labelsMatch(sel, r.obj.Spec.Template.Metadata.Labels) {
				pods = append(pods, r)
			}
		}
		if len(sel) == 0 || len(pods) == 0 {
			t.Errorf("%s: selector %v selects no Deployment", s.where(), sel)
		}
		for _, sp := range s.Spec.Ports {
			target := cmp.Or(sp.TargetPort, strconv.Itoa(sp.Port))
			for _, r := range pods {
				if _, ok := r.resolvePort(target); !ok {
					t.Errorf("%s: port %d targets %s, which %s does not declare", s.where(), sp.Port, target, r.where)
				}
			}
		}
	}
	for _, p := range byKind["PodDisruptionBudget"] {
		found := false
		for _, r := range runs {
			found = found || (r.obj.Kind == "Deployment" && labelsMatch(p.selector(t), r.obj.Spec.Template.Metadata.Labels))
		}
		if !found {
			t.Errorf("%s: selects no Deployment", p.where())
		}
	}

	// Each component's dialed addresses reach the right component.
	for _, r := range runs {
		for _, f := range r.inv.dialed() {
			addr := r.inv.values[f]
			if !r.inv.set[f] {
				t.Errorf("%s: --%s is not set: its default %s is the container itself", r.where, f, addr)
				continue
			}
			host, port, ok := splitDial(t, r.where, f, addr)
			if !ok {
				continue
			}
			svc, _, _ := strings.Cut(host, ".")
			if to := serviceTarget(r.where+" --"+f, svc, port); to != nil && to.inv.key != "serve "+strings.TrimSuffix(f, "-addr") {
				t.Errorf("%s: --%s %s reaches millwright %s", r.where, f, addr, to.inv.key)
			}
		}
	}

	// Routes.
	protoServices := readProtoServices(t, root)
	for _, kind := range []string{"GRPCRoute", "HTTPRoute"} {
		for _, o := range byKind[kind] {
			for i, rule := range o.Spec.Rules {
				where := fmt.Sprintf("%s rule %d", o.where(), i)
				var want string // the component the rule's services live in
				for _, m := range rule.Matches {
					if m.Method == nil {
						continue
					}
					pkg, ok := protoServices[m.Method.Service]
					switch {
					case !ok:
						t.Errorf("%s: no gRPC service %s in proto/", where, m.Method.Service)
					case strings.HasSuffix(m.Method.Service, "InternalService"):
						t.Errorf("%s: routes the internal API %s", where, m.Method.Service)
					default:
						want = "serve " + strings.Split(pkg, ".")[1]
					}
				}
				if kind == "HTTPRoute" {
					want = "serve gateway"
				}
				for _, b := range rule.BackendRefs {
					if b.Kind != "" && b.Kind != "Service" {
						continue
					}
					if to := serviceTarget(where, b.Name, b.Port); to != nil && want != "" && to.inv.key != want {
						t.Errorf("%s: backend %s:%d runs millwright %s, want %s", where, b.Name, b.Port, to.inv.key, want)
					}
				}
			}
		}
	}

	// kustomization.yaml lists files that exist, and sets the image the manifests use.
	for _, k := range byKind["Kustomization"] {
		for _, res := range k.Resources {
			if _, err := os.Stat(filepath.Join(dir, res)); err != nil {
				t.Errorf("%s: resource %s: %v", k.file, res, err)
			}
		}
		for _, img := range k.Images {
			if img.Name != image {
				t.Errorf("%s: images names %s, the manifests use %s", k.file, img.Name, image)
			}
		}
	}
	if len(runs) == 0 {
		t.Error("no Deployment or Job runs millwright")
	}
}

func labelsMatch(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// checkPodPorts: declared ports are the ones served, and probes target them.
func checkPodPorts(t *testing.T, r *k8sRun, ct *k8sContainer, listened map[int]bool) {
	t.Helper()
	if r.inv.top != "serve" {
		if len(r.portSet) > 0 {
			t.Errorf("%s: millwright %s serves no port", r.where, r.inv.key)
		}
		return
	}
	for _, p := range []int{r.main, r.met} {
		if p == 0 {
			continue
		}
		listened[p] = true
		if !r.portSet[p] {
			t.Errorf("%s: listens on %d, which is not a containerPort", r.where, p)
		}
	}
	for p := range r.portSet {
		if p != r.main && p != r.met {
			t.Errorf("%s: containerPort %d: nothing listens on it (listen %d, metrics %d)", r.where, p, r.main, r.met)
		}
	}
	grpc := r.inv.sub != "gateway"
	probes := map[string]*probe{
		"startupProbe": ct.StartupProbe, "readinessProbe": ct.ReadinessProbe, "livenessProbe": ct.LivenessProbe,
	}
	for _, name := range []string{"readinessProbe", "livenessProbe"} {
		if probes[name] == nil {
			t.Errorf("%s: no %s", r.where, name)
		}
	}
	for name, p := range probes {
		if p == nil {
			continue
		}
		where := r.where + " " + name
		switch {
		case p.GRPC != nil:
			if !grpc || p.GRPC.Port != r.main {
				t.Errorf("%s: grpc probe on %d, but the gRPC port is %d", where, p.GRPC.Port, r.main)
			}
		case p.HTTPGet != nil:
			n, ok := r.resolvePort(p.HTTPGet.Port)
			if !ok || (n != r.met && (grpc || n != r.main)) {
				t.Errorf("%s: httpGet port %s is not an HTTP port of the container", where, p.HTTPGet.Port)
			}
			if n == r.met && p.HTTPGet.Path != "/metrics" {
				t.Errorf("%s: the metrics port serves only /metrics, not %s", where, p.HTTPGet.Path)
			}
		case p.TCPSocket != nil:
			if _, ok := r.resolvePort(p.TCPSocket.Port); !ok {
				t.Errorf("%s: tcpSocket port %s is not a containerPort", where, p.TCPSocket.Port)
			}
		default:
			t.Errorf("%s: want a grpc, httpGet or tcpSocket probe", where)
		}
	}
}

func checkPodSecurity(t *testing.T, where string, tpl *podTemplate, ct *k8sContainer) {
	t.Helper()
	is := func(b *bool) bool { return b != nil && *b }
	pod, c := tpl.Spec.SecurityContext, ct.SecurityContext
	if !is(pod.RunAsNonRoot) && !is(c.RunAsNonRoot) {
		t.Errorf("%s: want runAsNonRoot: true", where)
	}
	if !is(c.ReadOnlyRootFilesystem) {
		t.Errorf("%s: want readOnlyRootFilesystem: true", where)
	}
	if c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation {
		t.Errorf("%s: want allowPrivilegeEscalation: false", where)
	}
	for _, r := range []string{"cpu", "memory"} {
		if ct.Resources.Requests[r] == "" {
			t.Errorf("%s: no %s request", where, r)
		}
	}
	if ct.Resources.Limits["memory"] == "" {
		t.Errorf("%s: no memory limit", where)
	}
}

var (
	protoPackage = regexp.MustCompile(`(?m)^package ([\w.]+);`)
	protoService = regexp.MustCompile(`(?m)^service (\w+)`)
)

// readProtoServices maps each gRPC service's full name to its package.
func readProtoServices(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(filepath.Join(root, "proto", "millwright"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".proto") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		pkg := protoPackage.FindSubmatch(b)
		for _, s := range protoService.FindAllSubmatch(b, -1) {
			if pkg != nil {
				out[string(pkg[1])+"."+string(s[1])] = string(pkg[1])
			}
		}
		return nil
	})
	if err != nil || len(out) == 0 {
		t.Fatalf("reading proto/millwright: %v (%d services)", err, len(out))
	}
	return out
}

// ---- compose ----

// stringList is a command: a list, or a string split on spaces.
type stringList []string

func (s *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = strings.Fields(n.Value)
		return nil
	}
	var l []string
	err := n.Decode(&l)
	*s = l
	return err
}

// envMap is an environment: a map, or a list of NAME=VALUE.
type envMap map[string]string

func (e *envMap) UnmarshalYAML(n *yaml.Node) error {
	m := map[string]string{}
	if n.Kind == yaml.SequenceNode {
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		for _, kv := range l {
			k, v, _ := strings.Cut(kv, "=")
			m[k] = v
		}
	} else if err := n.Decode(&m); err != nil {
		return err
	}
	*e = m
	return nil
}

// nameSet is depends_on: a list or a map of names.
type nameSet []string

func (s *nameSet) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.SequenceNode {
		var l []string
		err := n.Decode(&l)
		*s = l
		return err
	}
	var m map[string]yaml.Node
	if err := n.Decode(&m); err != nil {
		return err
	}
	for k := range m {
		*s = append(*s, k)
	}
	return nil
}

type composeBuild struct{ Context, Dockerfile string }

func (b *composeBuild) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		b.Context = n.Value
		return nil
	}
	type plain composeBuild
	return n.Decode((*plain)(b))
}

type composeService struct {
	Image       string
	Build       *composeBuild
	Entrypoint  stringList
	Command     stringList
	Environment envMap
	Ports       []string
	Healthcheck *struct{ Test stringList }
	DependsOn   nameSet `yaml:"depends_on"`
}

var interpolation = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}`)

// composeValue resolves ${VAR:-default}; other references are unknown.
func composeValue(v string) envValue {
	m := interpolation.FindStringSubmatch(v)
	if m == nil {
		return envValue{value: v, known: true}
	}
	if strings.HasSuffix(m[2], "-") && m[0] == v {
		return envValue{value: m[3], known: true}
	}
	return envValue{secret: true}
}

var localPort = regexp.MustCompile(`(?:127\.0\.0\.1|localhost)[: ](\d+)`)

func checkCompose(t *testing.T, c *cliSpec, d *dockerfile, root, path string, listened map[int]bool) {
	docs := loadYAML(t, path)
	if len(docs) != 1 {
		t.Fatalf("want one YAML document, got %d", len(docs))
	}
	var file struct {
		Services map[string]*composeService
	}
	if err := docs[0].Decode(&file); err != nil {
		t.Fatal(err)
	}
	type run struct {
		inv       *invocation
		main, met int
	}
	runs := map[string]*run{}
	var image string
	for _, name := range sortedKeys(file.Services) {
		s := file.Services[name]
		where := "compose.yaml service " + name
		for _, dep := range s.DependsOn {
			if file.Services[dep] == nil {
				t.Errorf("%s: depends_on %s, which is not a service", where, dep)
			}
		}
		if s.Build == nil {
			continue // not built from this repository: postgres
		}
		if ctx := filepath.Join(filepath.Dir(path), s.Build.Context); filepath.Clean(ctx) != root {
			t.Errorf("%s: build context %s, want the repository root", where, s.Build.Context)
		}
		if df := filepath.Join(root, cmp.Or(s.Build.Dockerfile, "Dockerfile")); df != d.path {
			t.Errorf("%s: builds %s, want deploy/Dockerfile", where, s.Build.Dockerfile)
		}
		if image == "" {
			image = s.Image
		} else if s.Image != image {
			t.Errorf("%s: image %s, others use %s", where, s.Image, image)
		}
		argv := append(slices.Clone(d.final().entrypoint), s.Command...)
		if s.Entrypoint != nil {
			argv = append(slices.Clone([]string(s.Entrypoint)), s.Command...)
		}
		env := map[string]envValue{}
		for k, v := range s.Environment {
			env[k] = composeValue(v)
		}
		inv := invoke(t, c, where, argv[1:], env)
		if inv == nil {
			continue
		}
		r := &run{inv: inv}
		r.main, r.met = inv.servedPorts(t, where)
		runs[name] = r
		if inv.top != "serve" {
			continue
		}
		listened[r.main] = true
		if r.met != 0 {
			listened[r.met] = true
		}
		for _, p := range s.Ports {
			parts := strings.Split(strings.TrimSuffix(p, "/tcp"), ":")
			if n, _ := strconv.Atoi(parts[len(parts)-1]); n != r.main && n != r.met {
				t.Errorf("%s: publishes %s, but it listens on %d", where, p, r.main)
			}
		}
		if s.Healthcheck == nil || len(s.Healthcheck.Test) == 0 {
			t.Errorf("%s: no healthcheck", where)
			continue
		}
		test := strings.Join(s.Healthcheck.Test, " ")
		ports := localPort.FindAllStringSubmatch(test, -1)
		if len(ports) == 0 {
			t.Errorf("%s: healthcheck %q checks no local port", where, test)
		}
		for _, m := range ports {
			if n, _ := strconv.Atoi(m[1]); n != r.main && n != r.met {
				t.Errorf("%s: healthcheck checks port %d, but it listens on %d", where, n, r.main)
			}
		}
	}
	for _, name := range sortedKeys(runs) {
		r := runs[name]
		where := "compose.yaml service " + name
		for _, f := range r.inv.dialed() {
			addr := r.inv.values[f]
			if !r.inv.set[f] {
				t.Errorf("%s: --%s is not set: its default %s is the container itself", where, f, addr)
				continue
			}
			host, port, ok := splitDial(t, where, f, addr)
			if !ok {
				continue
			}
			to := runs[host]
			want := "serve " + strings.TrimSuffix(f, "-addr")
			switch {
			case to == nil:
				t.Errorf("%s: --%s %s: no millwright service %s", where, f, addr, host)
			case to.inv.key != want || to.main != port:
				t.Errorf("%s: --%s %s: %s runs millwright %s on %d", where, f, addr, host, to.inv.key, to.main)
			}
		}
	}
	if len(runs) == 0 {
		t.Error("no service runs millwright")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ---- docs ----

var (
	envToken   = regexp.MustCompile(`MILLWRIGHT_[A-Z0-9_]*[A-Z0-9]`)
	docCommand = regexp.MustCompile(`(?:^\s*|/)millwright ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?`)
)

// checkDoc checks the variables a document names and the commands its code
// blocks run.
func checkDoc(t *testing.T, c *cliSpec, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	known := c.allEnv()
	for _, name := range envToken.FindAllString(string(b), -1) {
		if !known[name] {
			t.Errorf("names %s, which no millwright command reads", name)
		}
	}
	inCode := false
	for i, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inCode = !inCode
			continue
		}
		if !inCode {
			continue
		}
		for _, m := range docCommand.FindAllStringSubmatch(line, -1) {
			subs, ok := c.subs[m[1]]
			switch {
			case !ok:
				t.Errorf("line %d: millwright has no command %q", i+1, m[1])
			case subs != nil && !slices.Contains(subs, m[2]):
				t.Errorf("line %d: 'millwright %s' has no component or action %q", i+1, m[1], m[2])
			}
		}
	}
}

func deployFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
