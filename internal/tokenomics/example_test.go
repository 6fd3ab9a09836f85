package tokenomics_test

import (
	"fmt"

	tk "github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

func ExampleParse() {
	rho, _ := tk.Parse("1.000000666600231")
	hi, lo := rho.Bits()
	fmt.Println(rho, hi, lo)
	fmt.Println(tk.FromInt(2).Sqrt())
	// Output:
	// 1.000000666600231 1 12296603860733
	// 1.41421356237309504876
}

// A worker starts, is challenged at every block (q = 1 for the example),
// answers the challenge of height 1 at height 3 and is paid the whole
// budget of the two blocks since its start, less the treasury's 20 %.
func ExampleState_Apply() {
	p := tk.DefaultParams()
	p.MaxHeartbeatsPerWorkerHour, p.BlockTimeMs = 3600, 1000
	w := tk.WorkerKey{1}
	st := tk.NewState(0)
	blocks := []tk.Block{
		{Height: 1, Started: []tk.Start{{Worker: w, Session: 1, P: 2500, Level: 1, Stake: tk.FromInt(5000)}}},
		{Height: 2},
		{Height: 3, Heartbeats: []tk.Heartbeat{{Worker: w, Session: 1, Challenge: 1}}},
	}
	for _, b := range blocks {
		out, rej, err := st.Apply(p, b)
		if err != nil {
			panic(err)
		}
		for _, s := range out.Settlements {
			// Amounts go to the chain in base units (here 10^6 per token), floored.
			pay, _ := s.Payout.Units(1_000_000)
			tre, _ := s.Treasury.Units(1_000_000)
			fmt.Printf("height %d: payout %d, treasury %d, V %d\n", out.Height, pay, tre, s.V.Floor())
		}
		fmt.Println("rejected:", len(rej), "empty:", out.Empty())
	}
	// Output:
	// rejected: 0 empty: true
	// rejected: 0 empty: true
	// height 3: payout 160000000, treasury 39999999, V 7475
	// rejected: 0 empty: false
}
