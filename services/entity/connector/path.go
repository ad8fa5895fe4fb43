package connector

import (
	"errors"
	"net/url"
	"path"
	"strings"
)

// CheckRelativePath refuses a passthrough path that could leave the system's
// host: a URL with a scheme or host, a path not starting with "/", one
// starting with "//", or one whose ".." segments climb above the root.
func CheckRelativePath(p string) error {
	switch {
	case p == "" || !strings.HasPrefix(p, "/"):
		return errors.New(`must start with "/" and be relative to the system's base URL`)
	case strings.HasPrefix(p, "//") || strings.Contains(p, `\`):
		return errors.New("must not name another host")
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return errors.New("must be a path, not a URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("must not carry a query or fragment: use the query field")
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == ".." {
			return errors.New(`must not contain ".." segments`)
		}
	}
	return nil
}

// ResolvePath joins a base URL and a path CheckRelativePath accepted, keeping
// the base's path prefix, and checks the result stays on the base's host.
func ResolvePath(base, p string) (*url.URL, error) {
	if err := CheckRelativePath(p); err != nil {
		return nil, err
	}
	b, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	out := *b
	out.Path = path.Join("/", b.Path, p)
	if strings.HasSuffix(p, "/") && !strings.HasSuffix(out.Path, "/") {
		out.Path += "/"
	}
	out.RawQuery = ""
	if out.Host != b.Host || out.Scheme != b.Scheme {
		return nil, errors.New("the path leaves the system's host")
	}
	return &out, nil
}
