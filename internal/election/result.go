package election

// result builds the public Result from the internal state.
func (e *election) result() Result {
	res := Result{Winners: make([]Winner, len(e.winners))}
	pos := make([]int, len(e.cands))
	for i, ci := range e.winners {
		c := &e.cands[ci]
		res.Winners[i] = Winner{ID: c.id, Round: c.round, Backing: e.backed[ci]}
		pos[ci] = i
	}
	for vi := range e.voters {
		v := &e.voters[vi]
		if len(v.edges) == 0 {
			continue
		}
		if v.self != notSelf {
			res.Winners[pos[v.self]].Own = v.edges[0].weight
			continue
		}
		a := Assignment{Voter: v.id}
		// v.edges is in election order; targets are in ID order.
		for _, t := range v.targets {
			for _, ed := range v.edges {
				if ed.cand == t && ed.weight > 0 {
					a.Exposures = append(a.Exposures, Exposure{Who: e.cands[t].id, Amount: ed.weight})
					w := &res.Winners[pos[t]]
					w.Others = append(w.Others, Exposure{Who: v.id, Amount: ed.weight})
				}
			}
		}
		res.Assignments = append(res.Assignments, a)
	}
	return res
}
