package qualys

import (
	"context"
	"errors"
	"testing"
)

// pagedServer serves records 0..total-1 in pages, like a CAR search.
type pagedServer struct {
	total    int
	calls    int
	failAt   int // page number that fails; -1 for none
	ignoreNo bool
}

func (s *pagedServer) fetch(_ context.Context, pageNumber, pageSize int32) (pageOf[int], error) {
	s.calls++
	if int(pageNumber) == s.failAt {
		return pageOf[int]{}, errors.New("boom")
	}
	if s.ignoreNo {
		pageNumber = 0
	}
	var items []int
	for i := int(pageNumber) * int(pageSize); i < s.total && len(items) < int(pageSize); i++ {
		items = append(items, i)
	}
	return pageOf[int]{Items: items, TotalCount: int64(s.total)}, nil
}

func TestPaginate(t *testing.T) {
	cases := []struct {
		name      string
		srv       pagedServer
		pageSize  int32
		stopAfter int // break after this many records; 0 = never
		wantN     int
		wantCalls int
		wantErr   bool
	}{
		{"empty", pagedServer{total: 0, failAt: -1}, 10, 0, 0, 1, false},
		{"one short page", pagedServer{total: 7, failAt: -1}, 10, 0, 7, 1, false},
		{"exact pages", pagedServer{total: 20, failAt: -1}, 10, 0, 20, 2, false},
		{"last page short", pagedServer{total: 25, failAt: -1}, 10, 0, 25, 3, false},
		{"caller breaks", pagedServer{total: 25, failAt: -1}, 10, 12, 12, 2, false},
		{"error on page 1", pagedServer{total: 25, failAt: 1}, 10, 0, 10, 2, true},
		// Page 1 repeats page 0: an error before any record is seen twice.
		{"server ignores pageNumber", pagedServer{total: 25, failAt: -1, ignoreNo: true}, 10, 0, 10, 2, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.srv
			n, gotErr := 0, false
			for v, err := range paginate(context.Background(), tc.pageSize, srv.fetch) {
				if err != nil {
					gotErr = true
					break
				}
				if !srv.ignoreNo && v != n {
					t.Fatalf("record %d has value %d: lost or duplicated", n, v)
				}
				n++
				if tc.stopAfter > 0 && n == tc.stopAfter {
					break
				}
			}
			if n != tc.wantN || srv.calls != tc.wantCalls || gotErr != tc.wantErr {
				t.Fatalf("read %d records in %d calls (err %v); want %d in %d (err %v)", n, srv.calls, gotErr, tc.wantN, tc.wantCalls, tc.wantErr)
			}
		})
	}
}

func TestPaginateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	srv := pagedServer{total: 5, failAt: -1}
	for _, err := range paginate(ctx, 10, srv.fetch) {
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	}
	if srv.calls != 0 {
		t.Fatalf("fetched %d pages after cancellation", srv.calls)
	}
}
