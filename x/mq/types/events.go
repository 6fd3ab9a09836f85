package types

// Event types and attribute keys emitted by x/mq.
const (
	EventIngressAppended  = "mq_ingress_appended"
	EventMessageDelivered = "mq_message_delivered"
	EventMessageRejected  = "mq_message_rejected"
	EventVoteRecorded     = "mq_gatekeeper_vote"
	EventTaskPushed       = "mq_gatekeeper_task"
	// EventQuorumClamped: the gatekeeper set is smaller than gk_quorum, so
	// every gatekeeper must sign (see Params.Quorum). Emitted at the end of
	// the block in which the set or the params changed to that state.
	EventQuorumClamped = "mq_gk_quorum_clamped"

	AttributeIndex       = "index"
	AttributeOrigin      = "origin"
	AttributeTopic       = "topic"
	AttributeSeq         = "seq"
	AttributeSigner      = "signer"
	AttributeError       = "error"
	AttributeReply       = "reply_topic"
	AttributeGkQuorum    = "gk_quorum"
	AttributeGatekeepers = "gatekeepers"
	AttributeQuorum      = "quorum"
)
