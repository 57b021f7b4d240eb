package qualys

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"iter"
	"math"
)

// defaultPageSize is the page size the search iterators ask for. Qualys
// documents a default of 10 and no maximum; 100 keeps requests few without
// making one response large.
const defaultPageSize = 100

// pageOf is one page of a CAR search: its records and the total the server
// reports for the whole search.
type pageOf[T any] struct {
	Items      []T
	TotalCount int64
}

// pageFetcher fetches one page. pageNumber starts at 0, as in every CAR search.
type pageFetcher[T any] func(ctx context.Context, pageNumber, pageSize int32) (pageOf[T], error)

// paginate walks a CAR search page by page and yields each record, so
// callers range over records and never see page numbers. An error is
// yielded once and ends the walk. The server is never trusted alone: the
// walk ends with success only when the records read reach the total of the
// first page, and every way a server can break that promise ends it with an
// error wrapping ErrUnexpectedBody instead of a short or repeated result:
//
//   - a page that repeats the previous one record for record (a server
//     ignoring pageNumber);
//   - an empty page while the total says more remain;
//   - a page holding more records than were asked for, or more than the
//     total leaves room for;
//   - a total that changes from one page to the next (the results moved
//     under the walk, so records would be skipped or seen twice);
//   - a page number that would pass the largest int32.
//
// A short page while the total says more remain is a server capping its
// page size: the walk goes on asking for pages of the size it received
// (the next page starts right after the records read), so it may take more
// pages than pageSize suggests. Every page brings at least one new record
// and the total is fixed, so the walk ends after at most total+1 requests
// whatever the server does. The context is checked between records: once
// it ends, the walk yields its error and stops.
func paginate[T any](ctx context.Context, pageSize int32, fetch pageFetcher[T]) iter.Seq2[T, error] {
	if pageSize <= 0 {
		pageSize = defaultPageSize
	}
	return func(yield func(T, error) bool) {
		var zero T
		fail := func(format string, args ...any) {
			yield(zero, fmt.Errorf("qualys: paging a search: "+format+": %w", append(args, ErrUnexpectedBody)...))
		}
		var (
			read, total int64
			size        = pageSize
			page        int32
			prev        [sha256.Size]byte
			hasPrev     bool
		)
		for {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			p, err := fetch(ctx, page, size)
			if err != nil {
				yield(zero, err)
				return
			}
			n := int64(len(p.Items))
			switch {
			case page == 0 && read == 0:
				total = p.TotalCount
			case p.TotalCount != total:
				fail("page %d reports %d records in all, page 0 reported %d: the results changed during the walk", page, p.TotalCount, total)
				return
			}
			switch {
			case n == 0 && read < total:
				fail("page %d is empty after %d of %d records", page, read, total)
				return
			case n == 0:
				return
			case n > int64(size):
				fail("page %d holds %d records, %d were asked for", page, n, size)
				return
			case read+n > total:
				fail("page %d brings the records to %d, more than the total of %d", page, read+n, total)
				return
			}
			if fp, ok := fingerprint(p.Items); ok {
				if hasPrev && fp == prev {
					fail("page %d repeats the previous page (the server ignores pageNumber)", page)
					return
				}
				prev, hasPrev = fp, true
			}
			for _, item := range p.Items {
				if err := ctx.Err(); err != nil {
					yield(zero, err)
					return
				}
				if !yield(item, nil) {
					return
				}
			}
			read += n
			if read >= total {
				if err := ctx.Err(); err != nil {
					yield(zero, err)
				}
				return
			}
			if n < int64(size) {
				// The server caps its pages: continue in its size. Page
				// numbers count pages of the size asked, so the records
				// read must be a whole number of such pages.
				if read%n != 0 {
					fail("page %d holds %d records after %d, which no page size continues without a gap or a repeat", page, n, read-n)
					return
				}
				size = int32(n)
			}
			if page, err = nextPage(read, size); err != nil {
				yield(zero, err)
				return
			}
		}
	}
}

// nextPage is the number of the page that starts after read records in
// pages of size, refused when it would not fit the int32 CAR takes.
func nextPage(read int64, size int32) (int32, error) {
	next := read / int64(size)
	if next > math.MaxInt32 {
		return 0, fmt.Errorf("qualys: paging a search: page number %d would overflow: %w", next, ErrUnexpectedBody)
	}
	return int32(next), nil
}

// fingerprint identifies a page's records, to notice a page served twice.
func fingerprint[T any](items []T) ([sha256.Size]byte, bool) {
	b, err := json.Marshal(items)
	if err != nil {
		return [sha256.Size]byte{}, false
	}
	return sha256.Sum256(b), true
}
