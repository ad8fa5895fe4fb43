package pagetoken_test

import (
	"strings"
	"testing"

	"github.com/millwright-dev/millwright/services/platform/pagetoken"
	"github.com/millwright-dev/millwright/services/platform/secret"
)

type cursor struct {
	After int `json:"a"`
}

func TestPage(t *testing.T) {
	key, _ := secret.ParseKey(strings.Repeat("ab", 32))
	c := pagetoken.New(key)
	at := func(n int) cursor { return cursor{After: n} }

	rows, next, err := pagetoken.Page(c, "list|a", []int{1, 2, 3}, 3, at)
	if err != nil || len(rows) != 3 || next != "" {
		t.Fatalf("last page: %v %q %v", rows, next, err)
	}
	rows, next, err = pagetoken.Page(c, "list|a", []int{1, 2, 3, 4}, 3, at)
	if err != nil || len(rows) != 3 || next == "" {
		t.Fatalf("a page with more after it: %v %q %v", rows, next, err)
	}
	var got cursor
	if err := c.Decode("list|a", next, &got); err != nil || got.After != 3 {
		t.Errorf("the token holds %v (%v), want the page's last row 3", got, err)
	}
	if err := c.Decode("list|b", next, &got); err == nil {
		t.Error("a token of one list was accepted by another")
	}
	if strings.Contains(next, "3") && len(next) < 20 {
		t.Errorf("the token %q looks readable", next)
	}
}
