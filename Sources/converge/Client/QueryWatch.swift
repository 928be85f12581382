import Foundation
import HummingbirdWSClient
import Logging
import Protocol

/// A query followed over the sync WebSocket as an admin: every new result, as `npx convex run --watch`
/// prints them, until the task is cancelled or the connection ends.
struct QueryWatch {
    let deployment: DeploymentConnection
    let function: String
    let args: String

    func follow(onResult: @escaping @Sendable (Result<Value, CLIError>) -> Void) async throws {
        let url = deployment.url.replacingOccurrences(of: "http://", with: "ws://").replacingOccurrences(of: "https://", with: "wss://") + "/api/sync"
        let messages = [
            #"{"type":"Connect","sessionId":"\#(UUID().uuidString.lowercased())","connectionCount":0,"lastCloseReason":"InitialConnect","clientTs":0}"#,
            #"{"type":"Authenticate","baseVersion":0,"tokenType":"Admin","value":\#(ConvexJSONWriter.encodeString(.string(deployment.adminKey)))}"#,
            #"{"type":"ModifyQuerySet","baseVersion":0,"newVersion":1,"modifications":[{"type":"Add","queryId":0,"udfPath":\#(ConvexJSONWriter.encodeString(.string(function))),"args":[\#(args)]}]}"#,
        ]
        do {
            _ = try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 64 << 20), logger: Logger(label: "converge.watch")) { inbound, outbound, _ in
                for message in messages { try await outbound.write(.text(message)) }
                for try await message in inbound.messages(maxSize: 64 << 20) {
                    guard case .text(let text) = message, let value = try? ConvexJSONReader.decode(text) else { continue }
                    switch value["type"] {
                    case .string("Transition"):
                        guard case .array(let modifications)? = value["modifications"] else { continue }
                        for modification in modifications {
                            if modification["type"] == .string("QueryUpdated"), let result = modification["value"] {
                                onResult(.success(result))
                            } else if modification["type"] == .string("QueryFailed"), case .string(let error)? = modification["errorMessage"] {
                                onResult(.failure(CLIError(error)))
                            }
                        }
                    case .string("AuthError"), .string("FatalError"):
                        let error = value["error"].flatMap { if case .string(let e) = $0 { e } else { nil } } ?? "the deployment ended the session"
                        throw CLIError(error)
                    default:
                        continue
                    }
                }
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("Watching \(function) at \(deployment.url) failed: \(error)")
        }
    }
}
