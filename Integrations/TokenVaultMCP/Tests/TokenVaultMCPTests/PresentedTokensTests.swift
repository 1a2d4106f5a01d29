import Testing
import TokenVault
@testable import TokenVaultMCP

@Suite("the tokens requests presented")
struct PresentedTokensTests {
    @Test("a challenge returns what the request presented and counts the challenges of that request only")
    func challengesPerRequest() {
        var presented = PresentedTokens()
        let first = Secret(copying: "tvsecret-first"), second = Secret(copying: "tvsecret-second")
        presented.record(first, for: 1)
        presented.record(second, for: 2)

        let challenged = presented.challenge(for: 1)
        #expect(challenged.token?.isEqual(to: first) == true)
        #expect(challenged.challenges == 0)
        // The retry presents the new token; its 401 is the request's second.
        presented.record(second, for: 1)
        let again = presented.challenge(for: 1)
        #expect(again.token?.isEqual(to: second) == true)
        #expect(again.challenges == 1)
        #expect(presented.challenge(for: 2).challenges == 0)
    }

    @Test("a new request in a task whose key a challenged request had starts with no challenges")
    func reusedTask() {
        var presented = PresentedTokens()
        presented.record(Secret(copying: "tvsecret-old"), for: 7)
        _ = presented.challenge(for: 7)
        presented.begin(for: 7)
        presented.record(Secret(copying: "tvsecret-new"), for: 7)
        #expect(presented.challenge(for: 7).challenges == 0)
    }

    @Test("requests beyond the capacity push out the oldest")
    func capacity() {
        var presented = PresentedTokens(capacity: 3)
        let token = Secret(copying: "tvsecret-token")
        for task in 1...5 { presented.record(token, for: task) }
        #expect(presented.count == 3)
        #expect(presented.challenge(for: 1).token == nil)
        #expect(presented.challenge(for: 5).token != nil)
    }
}
