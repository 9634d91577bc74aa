package bench

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// heapSampler records the peak HeapInuse seen, and the peak live heap
// (what the last GC found reachable).
type heapSampler struct {
	peak, live atomic.Uint64
	stop       chan struct{}
	done       chan struct{}
}

func raise(a *atomic.Uint64, v uint64) {
	for {
		p := a.Load()
		if v <= p || a.CompareAndSwap(p, v) {
			return
		}
	}
}

func (h *heapSampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	raise(&h.peak, ms.HeapInuse)
	m := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(m)
	if m[0].Value.Kind() == metrics.KindUint64 {
		raise(&h.live, m[0].Value.Uint64())
	}
}

func startSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
				h.sample()
			}
		}
	}()
	return h
}

func (h *heapSampler) finish() (peakInuse, peakLive uint64) {
	close(h.stop)
	<-h.done
	h.sample()
	return h.peak.Load(), h.live.Load()
}

func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// liveHeap is the live heap right after a GC.
func liveHeap() uint64 {
	runtime.GC()
	m := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(m)
	return m[0].Value.Uint64()
}

func (r *runner) memory(ctx context.Context) error {
	f := NewFake()
	defer f.Close()
	client := NewClient(f.URL(), NewCounter())
	sz := r.sz
	const sec = "4 memory"

	// A page's worth: the peak heap the raw SDK takes to fetch and decode
	// one page (the same sampling as below; median of 5), for the note.
	var units []float64
	for range 5 {
		before := heapInuse()
		smp := startSampler()
		out, err := client.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(VirtualTable(sz.memPage, sz.memPage)),
			KeyConditionExpression:    aws.String("#pk = :pk"),
			ExpressionAttributeNames:  map[string]string{"#pk": "pk"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "v"}}})
		if err != nil {
			return err
		}
		var rows []Row
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &rows); err != nil {
			return err
		}
		smp.sample()
		peak, _ := smp.finish()
		runtime.KeepAlive(rows)
		units = append(units, float64(peak-min(peak, before)))
	}
	page := median(units)
	r.rep.Notes = append(r.rep.Notes, fmt.Sprintf(
		"Section 4: a page is %d items; one raw SDK Query of one page decoded into []Row peaks at %.2f MiB of HeapInuse growth (median of 5), so even raw's own loop holds two to five pages' worth at its peak (a response being read while the last page's garbage awaits collection). Peak HeapInuse is the highest HeapInuse sampled every millisecond and after every page, minus HeapInuse after a GC before the run (the in-process server's buffers and not-yet-collected garbage included: with GOGC=100 the heap grows to about twice the live heap, and at least 4 MiB, between collections); median of %d runs rotated. Peak live heap is the highest /gc/heap/live:bytes (what the last GC found reachable) over the same samples, minus the live heap before the run.",
		sz.memPage, page/(1<<20), sz.memReps))

	peaks := make([][]float64, len(r.impls)) // per size, median MiB
	for _, n := range sz.memSizes {
		table := VirtualTable(n, sz.memPage)
		inuse, live := make([][]float64, len(r.impls)), make([][]float64, len(r.impls))
		for rep := range sz.memReps {
			for k := range r.impls {
				i := (k + rep) % len(r.impls)
				extra, liveMiB, err := r.iterate(ctx, client, i, table, n)
				if err != nil {
					return err
				}
				inuse[i] = append(inuse[i], extra)
				live[i] = append(live[i], liveMiB)
			}
		}
		mib, liveMed := r.values(), r.values()
		for i := range r.impls {
			mib[i], liveMed[i] = median(inuse[i]), median(live[i])
			peaks[i] = append(peaks[i], mib[i])
		}
		r.logf("memory %d: HeapInuse %v MiB, live %v MiB", n, mib, liveMed)
		m := r.rep.add(Metric{Section: sec, Name: fmt.Sprintf("iterate %d items: peak HeapInuse", n), Unit: "MiB", Values: mib, Fair: true, Chart: true,
			Target: "<= raw's"})
		r.rep.add(Metric{Section: sec, Name: fmt.Sprintf("iterate %d items: peak live heap", n), Unit: "MiB", Values: liveMed, Fair: true})
		if d, b := r.rep.idx("dynamap"), r.rep.idx("raw"); d >= 0 && b >= 0 {
			m.Met = boolp(mib[d] <= mib[b])
		}
	}
	// Independence of the item count: the peak is a maximum over more
	// samples (and more GC cycles) the longer the run, so it creeps up a
	// little even for raw; holding the items would grow it 100x.
	if d := r.rep.idx("dynamap"); d >= 0 && len(sz.memSizes) > 1 {
		v := r.values()
		for i := range peaks {
			v[i] = peaks[i][len(peaks[i])-1] / max(peaks[i][0], 1.0/(1<<20))
		}
		grow := float64(sz.memSizes[len(sz.memSizes)-1]) / float64(sz.memSizes[0])
		r.rep.add(Metric{Section: sec, Name: fmt.Sprintf("peak HeapInuse at %d over at %d items (%.0fx the items)", sz.memSizes[len(sz.memSizes)-1], sz.memSizes[0], grow),
			Unit: "x", Values: v, Fair: true, Target: "<= 2x (independent of count)", Met: boolp(v[d] <= 2)})
	}
	return nil
}

// iterate reads n items of table item by item through implementation i,
// keeping nothing, and returns the growth of peak HeapInuse and of the
// peak live heap, in MiB.
func (r *runner) iterate(ctx context.Context, client *dynamodb.Client, i int, table string, n int) (inuse, live float64, err error) {
	im := r.impls[i]
	h := im.New(client, table)
	baseLive := liveHeap()
	before := heapInuse()
	s := startSampler()
	count := 0
	got, err := h.QueryEach(ctx, "v", func(row *Row) {
		count++
		if count%r.sz.memPage == 0 {
			s.sample()
		}
	})
	peak, peakLive := s.finish()
	if err != nil {
		return 0, 0, fmt.Errorf("memory %d (%s): %w", n, im.Name, err)
	}
	if got != n || count != n {
		r.rep.mismatch("memory: %s iterated %d items, want %d", im.Name, got, n)
	}
	if peak > before {
		inuse = float64(peak-before) / (1 << 20)
	}
	if peakLive > baseLive {
		live = float64(peakLive-baseLive) / (1 << 20)
	}
	return inuse, live, nil
}
