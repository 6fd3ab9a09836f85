package types

// Event types and attribute keys emitted by x/mq.
const (
	EventIngressAppended  = "mq_ingress_appended"
	EventMessageDelivered = "mq_message_delivered"
	EventMessageRejected  = "mq_message_rejected"
	EventVoteRecorded     = "mq_gatekeeper_vote"
	EventTaskPushed       = "mq_gatekeeper_task"

	AttributeIndex  = "index"
	AttributeOrigin = "origin"
	AttributeTopic  = "topic"
	AttributeSeq    = "seq"
	AttributeSigner = "signer"
	AttributeError  = "error"
	AttributeReply  = "reply_topic"
)
