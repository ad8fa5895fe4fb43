package server

import (
	"sync"
	"time"

	"github.com/millwright-dev/millwright/services/entity/connector"
)

// configs keeps connections' connector configs (settings and decrypted
// credentials), so that a call to a system need not fetch them from the
// connection service every time. Each is kept under the update_time of the
// connection it was read with, and serves only a request whose connection,
// as authentication has just read it, has that same update_time: the
// connection service changes update_time with every change of a connection
// (its credentials, settings and status included), so a changed connection
// is read afresh. Authentication itself is never cached: a disconnected or
// rotated credential is refused at once.
type configs struct {
	mu sync.Mutex
	m  map[string]versionedConfig
}

type versionedConfig struct {
	version time.Time
	cfg     connector.Config
}

// maxConfigs bounds the memory configs use; past it, an arbitrary entry
// makes room.
const maxConfigs = 10000

// get returns the config of connection at version, if kept.
func (c *configs) get(connection string, version time.Time) (connector.Config, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[connection]
	if !ok || !v.version.Equal(version) {
		return connector.Config{}, false
	}
	return v.cfg, true
}

// put keeps the config of connection at version.
func (c *configs) put(connection string, version time.Time, cfg connector.Config) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]versionedConfig{}
	}
	if _, ok := c.m[connection]; !ok && len(c.m) >= maxConfigs {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[connection] = versionedConfig{version: version, cfg: cfg}
}
