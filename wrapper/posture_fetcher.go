package qualys

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/wire"
)

// Fetcher defaults. Qualys recommends no batch size; 300 host ids per
// postureInfo request is what its own QualysETL sends, and with the default
// budget of 25 requests a minute it moves about 7,500 hosts a minute.
const (
	defaultPostureBatchSize   = 300
	defaultPostureConcurrency = 4
)

// PostureQuery is what FetchPosture downloads: the posture of every host of
// some policies.
type PostureQuery struct {
	// PolicyIDs lists the policies; empty means every policy of the
	// subscription.
	PolicyIDs []wire.ID
	// HostsChangedSince, when set, resolves only the hosts whose posture
	// changed since that time (hostids 3.0 statusChangedSince).
	HostsChangedSince time.Time
	// Version and Filter are those of every postureInfo request (see
	// PostureRequest).
	Version string
	Filter  PostureFilter
}

// FetchProgress reports how far a FetchPosture has come. Hosts count the
// host ids of finished batches.
type FetchProgress struct {
	HostsDone, HostsTotal     int
	BatchesDone, BatchesTotal int
	Records                   int64
}

// FetchOption configures FetchPosture.
type FetchOption func(*fetchConfig)

type fetchConfig struct {
	batchSize   int
	concurrency int
	progress    func(FetchProgress)
}

// WithBatchSize sets how many host ids go into one postureInfo request
// (default defaultPostureBatchSize).
func WithBatchSize(n int) FetchOption {
	return func(c *fetchConfig) {
		if n > 0 {
			c.batchSize = n
		}
	}
}

// WithConcurrency sets how many postureInfo requests run at once (default
// defaultPostureConcurrency). The client's PCRS budget (WithPCRSRateLimit)
// still paces them all.
func WithConcurrency(n int) FetchOption {
	return func(c *fetchConfig) {
		if n > 0 {
			c.concurrency = n
		}
	}
}

// WithProgress registers a callback run after host ids are resolved and
// after each batch. It runs on the goroutine ranging over the records, so
// it needs no locking and must not block long.
func WithProgress(f func(FetchProgress)) FetchOption {
	return func(c *fetchConfig) { c.progress = f }
}

// postureBatch is one postureInfo request of the fetch.
type postureBatch struct {
	policyID wire.ID
	item     pcrs.PostureInfoRequestItem
}

// fetchEvent is what a worker hands to the consumer: records, the end of a
// batch, or an error.
type fetchEvent struct {
	records []pcrs.PostureRecord
	done    *postureBatch
	err     error
}

// recordChunk bounds how many records a worker collects before handing
// them over: large enough to keep channel traffic negligible, small enough
// that memory stays a few records per worker.
const recordChunk = 64

// batchRetries is how often a batch whose stream broke before any of its
// records was handed over is sent again. A stream broken after records were yielded is not
// repeated, since that would yield them twice; it ends the fetch with an
// error.
const batchRetries = 2

// FetchPosture resolves the host ids of the query's policies, splits them
// into batches, runs the batches a few at a time within the PCRS budget and
// yields every record as one stream. Records of different batches may
// interleave; each record appears once.
//
// The first error (resolution, an HTTP error, a broken stream) is yielded
// once and stops every batch; records yielded before it are valid. Once
// ctx ends, the next record is replaced by ctx's error.
// Breaking out of the loop stops and waits for every request, so no
// goroutine outlives the loop.
func (c *Client) FetchPosture(ctx context.Context, q PostureQuery, opts ...FetchOption) iter.Seq2[pcrs.PostureRecord, error] {
	cfg := fetchConfig{batchSize: defaultPostureBatchSize, concurrency: defaultPostureConcurrency}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return func(yield func(pcrs.PostureRecord, error) bool) {
		var zero pcrs.PostureRecord
		v := postureVersion(q.Version)
		if v == "" {
			v = defaultPostureVersion
		}
		if _, err := q.Filter.params(v); err != nil {
			yield(zero, err)
			return
		}
		resolved, err := c.HostIDs(ctx, q.PolicyIDs, q.HostsChangedSince)
		if err != nil {
			yield(zero, fmt.Errorf("qualys: resolving host ids: %w", err))
			return
		}
		batches := splitBatches(resolved, cfg.batchSize)
		prog := FetchProgress{BatchesTotal: len(batches)}
		for _, b := range batches {
			prog.HostsTotal += len(b.item.HostIDs)
		}
		if cfg.progress != nil {
			cfg.progress(prog)
		}
		if len(batches) == 0 {
			return
		}

		ctx, cancel := context.WithCancel(ctx)
		events := make(chan fetchEvent, cfg.concurrency)
		work := make(chan *postureBatch)
		var wg sync.WaitGroup
		defer func() {
			cancel()
			wg.Wait()
		}()
		for range min(cfg.concurrency, len(batches)) {
			wg.Go(func() {
				for b := range work {
					if !c.runBatch(ctx, v, q.Filter, b, events) {
						return
					}
				}
			})
		}
		wg.Go(func() {
			defer close(work)
			for i := range batches {
				select {
				case work <- &batches[i]:
				case <-ctx.Done():
					return
				}
			}
		})

		for prog.BatchesDone < prog.BatchesTotal {
			var ev fetchEvent
			select {
			case ev = <-events:
			case <-ctx.Done():
				yield(zero, ctx.Err())
				return
			}
			if ev.err != nil {
				yield(zero, ev.err)
				return
			}
			for _, rec := range ev.records {
				// Checked between records: a caller that gave up gets
				// its context's error, not the rest of a buffered chunk.
				if err := ctx.Err(); err != nil {
					yield(zero, err)
					return
				}
				if !yield(rec, nil) {
					return
				}
			}
			prog.Records += int64(len(ev.records))
			if ev.done != nil {
				prog.BatchesDone++
				prog.HostsDone += len(ev.done.item.HostIDs)
				if cfg.progress != nil {
					cfg.progress(prog)
				}
			}
		}
		if err := ctx.Err(); err != nil {
			yield(zero, err)
		}
	}
}

// runBatch streams one batch into events. It reports false when the fetch
// is over (an error was sent or the context ended).
func (c *Client) runBatch(ctx context.Context, v postureVersion, filter PostureFilter, b *postureBatch, events chan<- fetchEvent) bool {
	send := func(ev fetchEvent) bool {
		select {
		case events <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	req := PostureRequest{Version: string(v), Filter: filter, Policies: pcrs.PostureInfoRequest{b.item}}
	for attempt := 0; ; attempt++ {
		chunk := make([]pcrs.PostureRecord, 0, recordChunk)
		sent := 0
		var streamErr error
		for rec, err := range c.PostureStream(ctx, req) {
			if err != nil {
				streamErr = err
				break
			}
			chunk = append(chunk, rec)
			if len(chunk) == recordChunk {
				if !send(fetchEvent{records: chunk}) {
					return false
				}
				sent += len(chunk)
				chunk = make([]pcrs.PostureRecord, 0, recordChunk)
			}
		}
		if streamErr == nil {
			return send(fetchEvent{records: chunk, done: b})
		}
		if ctx.Err() != nil {
			return false
		}
		if sent == 0 && attempt < batchRetries && errors.Is(streamErr, ErrUnexpectedBody) {
			continue
		}
		// Hand over what was read before the damage, then the error.
		if len(chunk) > 0 && !send(fetchEvent{records: chunk}) {
			return false
		}
		send(fetchEvent{err: fmt.Errorf("qualys: posture of policy %s, %d hosts from host %s: %w",
			b.policyID, len(b.item.HostIDs), firstOf(b.item.HostIDs), streamErr)})
		return false
	}
}

// splitBatches cuts each policy's host ids into requests of at most size.
func splitBatches(list []pcrs.PolicyHostIDs, size int) []postureBatch {
	var out []postureBatch
	for _, p := range list {
		for i := 0; i < len(p.HostIDs); i += size {
			ids := p.HostIDs[i:min(i+size, len(p.HostIDs))]
			out = append(out, postureBatch{policyID: p.PolicyID, item: pcrs.PostureInfoRequestItem{
				PolicyID: p.PolicyID, SubscriptionID: p.SubscriptionID, HostIDs: ids,
			}})
		}
	}
	return out
}

func firstOf(s []wire.ID) wire.ID {
	if len(s) == 0 {
		return wire.ID{}
	}
	return s[0]
}
