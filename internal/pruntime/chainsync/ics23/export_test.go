package ics23

// Adjacent exposes the neighbour check to the black-box tests, which cannot
// reach its degenerate inputs through hashing.
func Adjacent(spec Spec, left, right []InnerOp) (bool, error) {
	r, err := spec.rules()
	if err != nil {
		return false, err
	}
	return r.adjacent(left, right), nil
}
