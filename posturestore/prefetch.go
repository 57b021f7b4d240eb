package posturestore

import "iter"

// prefetchChunk and prefetchDepth bound what prefetch holds: a few chunks
// of records, whatever the size of the stream.
const (
	prefetchChunk = 256
	prefetchDepth = 4
)

// prefetch runs a record stream on its own goroutine, so that reading and
// decoding the response overlaps with writing the store. Memory stays at
// prefetchDepth chunks. Stopping early stops the producer and waits for
// it, so no goroutine outlives the loop.
func prefetch(records iter.Seq2[Record, error]) iter.Seq2[Record, error] {
	type chunk struct {
		recs []Record
		err  error
	}
	return func(yield func(Record, error) bool) {
		ch := make(chan chunk, prefetchDepth)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer close(ch)
			send := func(c chunk) bool {
				select {
				case ch <- c:
					return true
				case <-stop:
					return false
				}
			}
			buf := make([]Record, 0, prefetchChunk)
			for r, err := range records {
				if err != nil {
					if len(buf) > 0 && !send(chunk{recs: buf}) {
						return
					}
					send(chunk{err: err})
					return
				}
				buf = append(buf, r)
				if len(buf) == prefetchChunk {
					if !send(chunk{recs: buf}) {
						return
					}
					buf = make([]Record, 0, prefetchChunk)
				}
			}
			if len(buf) > 0 {
				send(chunk{recs: buf})
			}
		}()
		defer func() {
			close(stop)
			for range ch { // let the producer see stop and finish
			}
			<-done
		}()
		for c := range ch {
			if c.err != nil {
				yield(Record{}, c.err)
				return
			}
			for _, r := range c.recs {
				if !yield(r, nil) {
					return
				}
			}
		}
	}
}
