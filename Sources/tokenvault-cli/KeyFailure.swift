import TokenVault

/// A key error met opening the selected vault, with the facts its hint is worded from.
struct KeyFailure: ReportedError {
    let error: KeyError
    let facts: KeyFacts

    var message: String { error.description }
    var hint: String? { error.hint(facts) }
    var status: ExitStatus { ExitStatus(error) }
}
