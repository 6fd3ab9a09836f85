package types

// Event types and attribute keys emitted by x/computation. Every change of
// a session's state and every payout has an event.
const (
	EventBenchmarkRecorded = "computation_benchmark"
	EventSessionStarted    = "computation_session_started"
	EventSessionStopped    = "computation_session_stopped"
	EventStakeReleased     = "computation_stake_released"
	EventHeartbeatRelayed  = "computation_heartbeat"
	EventWorkerOffline     = "computation_worker_offline"
	EventWorkerRecovered   = "computation_worker_recovered"
	EventSettlement        = "computation_settlement"
	// EventStale reports an output entry for a session that is not the
	// worker's current one (or one whose status the entry cannot change):
	// nothing is paid or changed.
	EventStale         = "computation_stale_entry"
	EventParamsUpdated = "computation_params_updated"

	AttributeWorker    = "worker"
	AttributeOperator  = "operator"
	AttributeSession   = "session"
	AttributeStake     = "stake"
	AttributeScore     = "score"
	AttributeV         = "v"
	AttributeStatus    = "status"
	AttributePayout    = "payout"
	AttributeTreasury  = "treasury"
	AttributeAmount    = "amount"
	AttributeHeight    = "height"
	AttributeChallenge = "challenge"
	AttributeCooldown  = "cooldown_end_height"
	AttributeKind      = "kind"
	AttributeReason    = "reason"
)
