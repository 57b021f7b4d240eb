// Package posturestore keeps Qualys compliance posture between runs: a
// SQL store that a sync fills from the PCRS API, first in full and then
// with only the hosts whose posture changed, and that people query with
// SQL.
//
// The store is a SQLite file (pure Go, no cgo) or a PostgreSQL database,
// with one schema and one set of versioned migrations for both. Records
// are upserted by their natural key (policy, host, control, instance);
// every status change is appended to a history with the time the sync saw
// it; hosts, policies and postures that disappear from Qualys are marked,
// never dropped. Two views are the stable interface for queries:
// posture_current and posture_changes (see docs/store.md).
//
// A sync is crash-safe: each batch of hosts is written in one transaction
// together with its checkpoint, so a sync killed at any point and started
// again ends with the store a clean run would have produced. One sync at a
// time may write a store; a second one waits or refuses (ErrLocked).
//
//	st, err := posturestore.Open(ctx, "posture.sqlite")
//	...
//	defer st.Close()
//	res, err := st.Sync(ctx, client, posturestore.WithPolicyIDs(4677689))
package posturestore
