package plugin_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"google.golang.org/grpc/status"

	"github.com/millwright-dev/millwright/services/entity/connector"
	"github.com/millwright-dev/millwright/services/entity/connector/plugin"
	"github.com/millwright-dev/millwright/services/platform/apierr"
)

// TestExternalConnector runs a connector as a separate process through the
// handshake and the protocol, and checks calls and errors cross intact.
func TestExternalConnector(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "echo")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/echo").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	c, stop, err := plugin.Launch(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if id := c.Describe().GetId(); id != "echo" {
		t.Fatalf("Describe = %q", id)
	}
	ctx := context.Background()
	if err := c.Check(ctx, connector.Config{Credentials: map[string]string{"password": "secret"}}); err != nil {
		t.Errorf("Check with the right password: %v", err)
	}
	err = c.Check(ctx, connector.Config{Credentials: map[string]string{"password": "wrong"}})
	if r, _ := apierr.FromStatus(status.Convert(err)); r != apierr.ConnectedSystemAuthFailed {
		t.Errorf("Check with a wrong password: %v, want CONNECTED_SYSTEM_AUTH_FAILED", err)
	}
	_, err = c.Get(ctx, connector.Config{}, "workOrders", "1")
	if r, _ := apierr.FromStatus(status.Convert(err)); r != apierr.OperationNotSupported {
		t.Errorf("Get: %v, want OPERATION_NOT_SUPPORTED", err)
	}
}

// TestLaunchRefusesOtherBinaries checks the handshake refuses a binary that
// is not a connector.
func TestLaunchRefusesOtherBinaries(t *testing.T) {
	if _, _, err := plugin.Launch("/bin/true"); err == nil {
		t.Fatal("Launch accepted /bin/true")
	}
}
