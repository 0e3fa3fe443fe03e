import Foundation
import Testing

@testable import PactaServer

@Suite struct WebhookSignatureTests {
    /// The example of the Standard Webhooks specification and of its reference libraries' tests (the Python
    /// `standardwebhooks` package gives the same answer).
    @Test func signsTheStandardWebhooksExampleAsTheSpecificationDoes() {
        let signature = WebhookSignature.sign(
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp: 1_614_265_330,
            body: Array(#"{"test": 2432232314}"#.utf8)
        )
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func anyChangeToIdTimestampOrBodyChangesTheSignature() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let base = WebhookSignature.sign(secret: secret, id: "a", timestamp: 1, body: Array("{}".utf8))
        #expect(base != WebhookSignature.sign(secret: secret, id: "b", timestamp: 1, body: Array("{}".utf8)))
        #expect(base != WebhookSignature.sign(secret: secret, id: "a", timestamp: 2, body: Array("{}".utf8)))
        #expect(base != WebhookSignature.sign(secret: secret, id: "a", timestamp: 1, body: Array("{ }".utf8)))
    }

    @Test func aSecretThatIsNotBase64SignsNothing() {
        #expect(WebhookSignature.sign(secret: "whsec_not base64!", id: "a", timestamp: 1, body: []) == nil)
    }

    @Test func newSecretsAreWhsecWith32RandomBytes() throws {
        let first = WebhookSignature.newSecret()
        let second = WebhookSignature.newSecret()
        #expect(first.hasPrefix("whsec_"))
        #expect(first != second)
        let key = try #require(Data(base64Encoded: String(first.dropFirst("whsec_".count))))
        #expect(key.count == 32)
    }
}

@Suite struct WebhookAddressPolicyTests {
    static let refusedByDefault: [(String, String)] = [
        ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"), ("0.0.0.0", "unspecified"),
        ("::", "unspecified"), ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("172.31.255.255", "private"),
        ("192.168.1.1", "private"), ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
        ("fd00::1", "private"), ("fc00::1", "private"), ("100.64.0.1", "shared"), ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"), ("255.255.255.255", "reserved"), ("240.0.0.1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"), ("64:ff9b::a9fe:a9fe", "link-local"),
        ("192.0.2.1", "reserved"), ("2001:db8::1", "reserved"),
    ]

    @Test(arguments: refusedByDefault)
    func nonPublicAddressesAreRefusedByDefault(address: String, kind: String) throws {
        let bytes = try #require(WebhookAddressPolicy.literal(address))
        #expect(WebhookAddressPolicy.nonPublicKind(bytes) == kind)
        #expect(throws: WebhookAddressPolicy.Refusal.refusedAddress(kind)) {
            try WebhookAddressPolicy(allowPrivate: false).check(bytes)
        }
        #expect(throws: Never.self) { try WebhookAddressPolicy(allowPrivate: true).check(bytes) }
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "193.0.2.1"])
    func publicAddressesAreAllowed(address: String) throws {
        let bytes = try #require(WebhookAddressPolicy.literal(address))
        #expect(WebhookAddressPolicy.nonPublicKind(bytes) == nil)
    }

    @Test func urlsMustBeHttpOrHttpsWithAHostAndNoCredentials() throws {
        let policy = WebhookAddressPolicy(allowPrivate: false)
        #expect(try policy.checkWithoutResolving("https://hooks.example.org/pacta").port == 443)
        #expect(try policy.checkWithoutResolving("http://hooks.example.org:8080/x").port == 8080)
        for bad in ["ftp://example.org/", "file:///etc/passwd", "example.org/hook", "https://", "https://u:p@example.org/"] {
            #expect(throws: WebhookAddressPolicy.Refusal.self, "\(bad)") { try policy.checkWithoutResolving(bad) }
        }
        #expect(throws: WebhookAddressPolicy.Refusal.refusedAddress("loopback")) {
            try policy.checkWithoutResolving("http://[::1]:9000/")
        }
        #expect(throws: WebhookAddressPolicy.Refusal.refusedAddress("link-local")) {
            try policy.checkWithoutResolving("http://169.254.169.254/latest/meta-data")
        }
    }

    @Test func aNameThatResolvesToLoopbackIsRefusedUnlessAllowed() async throws {
        let target = try WebhookAddressPolicy.target(of: "http://localhost:9/hook")
        await #expect(throws: WebhookAddressPolicy.Refusal.self) {
            try await WebhookAddressPolicy(allowPrivate: false).resolve(target)
        }
        let address = try await WebhookAddressPolicy(allowPrivate: true).resolve(target)
        #expect(["127.0.0.1", "::1"].contains(address))
    }
}

@Suite struct WebhookRetryScheduleTests {
    @Test func delaysDoubleFromFiveSecondsUpToAnHour() {
        let schedule = WebhookRetrySchedule()
        let delays = (1...15).map { schedule.baseDelayMilliseconds(afterFailures: $0) / 1_000 }
        #expect(delays == [5, 10, 20, 40, 80, 160, 320, 640, 1_280, 2_560, 3_600, 3_600, 3_600, 3_600, 3_600])
        // At least 8 attempts, spread over hours: the 14 waits between 15 attempts add up to about 5.4 hours.
        let total = (1..<15).map { schedule.baseDelayMilliseconds(afterFailures: $0) }.reduce(0, +)
        #expect(total / 1_000 == 19_515)
        #expect(schedule.attempts >= 8)
    }

    @Test func jitterStaysWithinTwentyPercentEitherWay() {
        let schedule = WebhookRetrySchedule()
        #expect(schedule.delayMilliseconds(afterFailures: 1, spread: -1) == 4_000)
        #expect(schedule.delayMilliseconds(afterFailures: 1, spread: 1) == 6_000)
        #expect(schedule.delayMilliseconds(afterFailures: 3, spread: 0) == 20_000)
        for _ in 0..<100 {
            let delay = schedule.delayMilliseconds(afterFailures: 11, spread: .random(in: -1...1))
            #expect((2_880_000...4_320_000).contains(delay))
        }
    }

    @Test func theSubscriptionIsDisabledAfterTheLastAttempt() {
        let schedule = WebhookRetrySchedule(first: .seconds(1), attempts: 3)
        #expect(!schedule.isExhausted(afterFailures: 2))
        #expect(schedule.isExhausted(afterFailures: 3))
    }
}
