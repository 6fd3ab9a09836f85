package protocol

import (
	"fmt"
	"strings"
)

// MaxTopicLen bounds a topic's length in bytes.
const MaxTopicLen = 64

// ValidateTopic checks a topic's syntax: slash-separated segments of
// [a-z0-9_], at most MaxTopicLen bytes, at least two segments. The first
// segment names the module that owns the topic ("registry/endpoint").
func ValidateTopic(topic string) error {
	if len(topic) == 0 || len(topic) > MaxTopicLen {
		return fmt.Errorf("%w: %w: topic: length %d, want 1-%d", ErrMalformed, ErrInvalidTopic, len(topic), MaxTopicLen)
	}
	segs := strings.Split(topic, "/")
	if len(segs) < 2 {
		return fmt.Errorf("%w: %w: topic: %q has no module prefix (want module/name)", ErrMalformed, ErrInvalidTopic, topic)
	}
	// The first segment names the owning module, so it obeys the module-name
	// bound; a longer one could never match a module origin.
	if !validSegment(segs[0], MaxModuleNameLen) {
		return fmt.Errorf("%w: %w: topic: %q: module segment %q must be 1-%d chars of [a-z0-9_]", ErrMalformed, ErrInvalidTopic, topic, segs[0], MaxModuleNameLen)
	}
	for _, s := range segs[1:] {
		if !validSegment(s, MaxTopicLen) {
			return fmt.Errorf("%w: %w: topic: %q: segment %q must be 1+ chars of [a-z0-9_]", ErrMalformed, ErrInvalidTopic, topic, s)
		}
	}
	return nil
}

// TopicModule returns the owning module of a valid topic.
func TopicModule(topic string) string {
	if i := strings.IndexByte(topic, '/'); i >= 0 {
		return topic[:i]
	}
	return topic
}

func validSegment(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Topics of the registry module. Ingress topics are appended by the chain;
// egress topics are sent by pRuntimes.
const (
	// TopicWorkerRegistered (ingress): payload = the worker's identity key.
	TopicWorkerRegistered = "registry/worker_registered"
	// TopicGatekeeperAdded (ingress): payload = the gatekeeper's identity key.
	TopicGatekeeperAdded = "gatekeeper/gatekeeper_added"
	// TopicGatekeeperRemoved (ingress): payload = the gatekeeper's identity key.
	TopicGatekeeperRemoved = "gatekeeper/gatekeeper_removed"
	// TopicWorkerEndpoint (egress, worker origin): payload = the worker's
	// public RPC endpoint as an http(s) URL of at most MaxEndpointLen bytes.
	TopicWorkerEndpoint = "registry/endpoint"
)

// MaxEndpointLen bounds an announced endpoint URL.
const MaxEndpointLen = 256
