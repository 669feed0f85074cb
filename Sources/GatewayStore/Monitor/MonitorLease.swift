/// The right to run one network's monitor: the epoch of the lease a process took. Writes with
/// an older epoch are refused.
public struct MonitorLease: Sendable, Hashable {
    public let network: String
    public let epoch: Int64

    public init(network: String, epoch: Int64) {
        self.network = network
        self.epoch = epoch
    }
}
