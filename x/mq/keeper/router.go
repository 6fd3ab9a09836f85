package keeper

import (
	"fmt"
	"slices"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// Handler processes one delivered egress message. It runs in a cached context:
// if it returns an error, its writes are discarded but the message still counts
// as delivered (the sender's sequence has advanced), so one bad payload cannot
// wedge a sender's queue.
type Handler func(ctx sdk.Context, m protocol.Message) error

// Router maps egress topics to the handlers of the modules that own them.
type Router struct {
	routes map[string]route
}

type route struct {
	handler Handler
	origins []protocol.OriginKind // nil: any origin that may send egress
}

// NewRouter returns an empty router.
func NewRouter() *Router { return &Router{routes: make(map[string]route)} }

// AddRoute registers h for topic, for any origin. Topics must be valid and
// owned by the registering module; a duplicate is a wiring bug and panics at
// app start.
func (r *Router) AddRoute(module, topic string, h Handler) { r.AddRouteFor(module, topic, nil, h) }

// AddRouteFor registers h for topic, accepting messages only from the given
// origin kinds: others are rejected before they use up a sequence number.
func (r *Router) AddRouteFor(module, topic string, origins []protocol.OriginKind, h Handler) {
	if err := protocol.ValidateTopic(topic); err != nil {
		panic(fmt.Sprintf("mq: route %q: %v", topic, err))
	}
	if protocol.TopicModule(topic) != module {
		panic(fmt.Sprintf("mq: module %q cannot own topic %q", module, topic))
	}
	if _, dup := r.routes[topic]; dup {
		panic(fmt.Sprintf("mq: duplicate route for topic %q", topic))
	}
	r.routes[topic] = route{handler: h, origins: origins}
}

// Route returns the handler of topic.
func (r *Router) Route(topic string) (Handler, bool) {
	rt, ok := r.routes[topic]
	return rt.handler, ok
}

// Accepts reports whether topic is routed and takes messages from origin.
func (r *Router) Accepts(topic string, origin protocol.OriginKind) (routed, allowed bool) {
	rt, ok := r.routes[topic]
	if !ok {
		return false, false
	}
	return true, rt.origins == nil || slices.Contains(rt.origins, origin)
}
