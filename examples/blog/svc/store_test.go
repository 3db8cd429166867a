package svc_test

import (
	"reflect"
	"sync"
	"testing"

	"github.com/tracegate/tracegate/examples/blog/svc"
	"github.com/tracegate/tracegate/internal/microkit/microkittest"
)

// go-micro's client package starts a cache janitor at package load.
func TestMain(m *testing.M) { microkittest.VerifyTestMain(m) }

func TestStoreOrderAndDelete(t *testing.T) {
	s := svc.NewStore[string]("item")
	for _, v := range []string{"a", "b", "c"} {
		s.Add(func(id string) string { return id + "=" + v })
	}
	if !s.Delete("item-2") || s.Delete("item-2") {
		t.Fatal("Delete should succeed once")
	}
	if got := s.List(0, nil); !reflect.DeepEqual(got, []string{"item-1=a", "item-3=c"}) {
		t.Fatalf("List = %q", got)
	}
	if got := s.List(1, func(v string) bool { return v != "item-1=a" }); !reflect.DeepEqual(got, []string{"item-3=c"}) {
		t.Fatalf("filtered List = %q", got)
	}
	if v, ok := s.Get("item-3"); !ok || v != "item-3=c" {
		t.Fatalf("Get = %q, %v", v, ok)
	}
	if got := s.List(0, func(string) bool { return false }); got == nil || len(got) != 0 {
		t.Fatalf("empty List = %#v, want non-nil empty (JSON [])", got)
	}
}

func TestStoreConcurrentSafe(t *testing.T) {
	s := svc.NewStore[string]("item")
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			v := s.Add(func(id string) string { return id })
			s.Get(v)
			s.List(0, nil)
			if i%2 == 0 {
				s.Delete(v)
			}
		})
	}
	wg.Wait()
	ids := map[string]bool{}
	for _, v := range s.List(0, nil) {
		ids[v] = true
	}
	if len(ids) != 25 {
		t.Fatalf("%d items left, want 25", len(ids))
	}
}
