package qualys

import (
	"context"
	"iter"
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
// callers range over records and never see page numbers. It stops when the
// records read reach the reported total, when a page comes back short or
// empty, or when the caller breaks; an error is yielded once and ends the
// walk. The page bound also guards against a server that ignores
// pageNumber, which would otherwise repeat page 0 forever.
func paginate[T any](ctx context.Context, pageSize int32, fetch pageFetcher[T]) iter.Seq2[T, error] {
	if pageSize <= 0 {
		pageSize = defaultPageSize
	}
	return func(yield func(T, error) bool) {
		var read int64
		for page := int32(0); ; page++ {
			if err := ctx.Err(); err != nil {
				var zero T
				yield(zero, err)
				return
			}
			p, err := fetch(ctx, page, pageSize)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range p.Items {
				if !yield(item, nil) {
					return
				}
			}
			read += int64(len(p.Items))
			maxPages := p.TotalCount/int64(pageSize) + 1
			if len(p.Items) == 0 || read >= p.TotalCount || int32(len(p.Items)) < pageSize || int64(page)+1 >= maxPages {
				return
			}
		}
	}
}
