package keeper

// UnknownKindError exposes unknownKind to the black-box tests.
var UnknownKindError = unknownKind
