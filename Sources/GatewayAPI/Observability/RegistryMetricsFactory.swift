import CoreMetrics

/// Routes the swift-metrics API (`Counter`, `Gauge`, `Recorder`, `Timer`) used by the chain
/// monitor, the provider pool and the webhook worker into a ``MetricsRegistry``, so that one
/// `/metrics` page shows everything. `gateway serve` bootstraps it once per process.
///
/// A label the registry does not know is declared on first use with a help text saying so,
/// so nothing recorded is lost; declared families keep their declared labels only.
public struct RegistryMetricsFactory: MetricsFactory {
    public let registry: MetricsRegistry

    public init(registry: MetricsRegistry) {
        self.registry = registry
    }

    func declare(_ label: String, _ kind: MetricKind, _ dimensions: [(String, String)]) {
        guard registry.family(label) == nil else { return }
        let buckets = kind == .histogram ? MetricCatalog.secondsBuckets : []
        registry.describe(MetricFamily(label, kind, "Not described by the gateway.", labels: dimensions.map(\.0), buckets: buckets))
    }

    static func labels(_ dimensions: [(String, String)]) -> [String: String] {
        Dictionary(dimensions, uniquingKeysWith: { first, _ in first })
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        declare(label, .counter, dimensions)
        return Handler(registry: registry, name: label, labels: Self.labels(dimensions), scale: 1)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        declare(label, .counter, dimensions)
        return Handler(registry: registry, name: label, labels: Self.labels(dimensions), scale: 1)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        declare(label, aggregate ? .histogram : .gauge, dimensions)
        return Handler(registry: registry, name: label, labels: Self.labels(dimensions), scale: 1)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        declare(label, .gauge, dimensions)
        return Handler(registry: registry, name: label, labels: Self.labels(dimensions), scale: 1)
    }

    /// Timers record nanoseconds; the registry keeps seconds, the base unit.
    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        declare(label, .histogram, dimensions)
        return Handler(registry: registry, name: label, labels: Self.labels(dimensions), scale: 1e-9)
    }

    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyMeter(_ handler: any MeterHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}

    /// One handler for every kind: what it does follows the family's declared kind.
    final class Handler: CounterHandler, FloatingPointCounterHandler, RecorderHandler, MeterHandler, TimerHandler, Sendable {
        let registry: MetricsRegistry
        let name: String
        let labels: [String: String]
        let scale: Double

        init(registry: MetricsRegistry, name: String, labels: [String: String], scale: Double) {
            self.registry = registry
            self.name = name
            self.labels = labels
            self.scale = scale
        }

        func record(_ value: Double) {
            switch registry.family(name)?.kind {
            case .histogram: registry.observe(name, labels, value * scale)
            case .counter: registry.add(name, labels, value)
            case .gauge, nil: registry.set(name, labels, value)
            }
        }

        func increment(by amount: Int64) { registry.add(name, labels, Double(amount)) }
        func increment(by amount: Double) {
            if registry.family(name)?.kind == .gauge {
                registry.set(name, labels, (registry.value(name, labels) ?? 0) + amount)
            } else {
                registry.add(name, labels, amount)
            }
        }
        func decrement(by amount: Double) { registry.set(name, labels, (registry.value(name, labels) ?? 0) - amount) }
        func reset() { registry.set(name, labels, 0) }
        func record(_ value: Int64) { record(Double(value)) }
        func set(_ value: Int64) { registry.set(name, labels, Double(value)) }
        func set(_ value: Double) { registry.set(name, labels, value) }
        func recordNanoseconds(_ duration: Int64) { record(Double(duration)) }
    }
}
