package webhook_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/millwright-dev/millwright/services/connection/internal/webhook"
)

func TestPublic(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"8.8.8.8", true},
		{"93.184.216.34", true},
		{"2606:4700:4700::1111", true},
		{"127.0.0.1", false},
		{"127.8.9.10", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"172.32.0.1", true},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"100.64.0.1", false},
		{"0.0.0.0", false},
		{"255.255.255.255", false},
		{"224.0.0.1", false},
		{"::1", false},
		{"::", false},
		{"fe80::1", false},
		{"fd00::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:8.8.8.8", true},
		{"64:ff9b::a00:1", false},    // NAT64 of 10.0.0.1
		{"64:ff9b::808:808", true},   // NAT64 of 8.8.8.8
		{"2002:a9fe:a9fe::1", false}, // 6to4 of 169.254.169.254
	}
	for _, tt := range tests {
		if got := webhook.Public(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("Public(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url          string
		allowPrivate bool
		want         string // part of the error; empty for none
	}{
		{"https://8.8.8.8/hooks", false, ""},
		{"http://8.8.8.8:8080/hooks?k=v", false, ""},
		{"HTTPS://8.8.8.8/", false, ""},
		{"", false, "is required"},
		{"ftp://8.8.8.8/x", false, "http:// or https://"},
		{"8.8.8.8/hooks", false, "http:// or https://"},
		{"https:///path", false, "must have a host"},
		{"https://exa mple.com/", false, "not a valid URL"},
		{"http://127.0.0.1:8080/hooks", false, "127.0.0.1 is a private, loopback or link-local address"},
		{"http://[::1]/hooks", false, "private"},
		{"http://10.0.0.8/hooks", false, "private"},
		{"http://169.254.169.254/latest/meta-data", false, "private"},
		{"http://localhost:3000/hooks", false, "private"},
		{"http://api.localhost/hooks", false, "private"},
		{"http://127.0.0.1:8080/hooks", true, ""},
		{"http://localhost:3000/hooks", true, ""},
		{"ftp://localhost/", true, "http:// or https://"},
	}
	for _, tt := range tests {
		err := webhook.CheckURL(context.Background(), tt.url, tt.allowPrivate)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckURL(%q, %v) = %v, want nil", tt.url, tt.allowPrivate, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckURL(%q, %v) = %v, want an error with %q", tt.url, tt.allowPrivate, err, tt.want)
		case tt.want == "private" && !errors.Is(err, webhook.ErrPrivateAddress):
			t.Errorf("CheckURL(%q) = %v, not ErrPrivateAddress", tt.url, err)
		}
	}
}
