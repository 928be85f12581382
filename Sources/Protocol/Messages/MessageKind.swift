/// The kind byte of a frame. Requests ask, responses answer with the request's ID, pushes answer nothing.
public enum MessageKind: UInt8, Sendable {
    // Handshake.
    case challenge = 1
    case hello = 2
    case welcome = 3

    // Storage requests.
    case latestTimestamp = 10
    case catalog = 11
    case createTable = 12
    case createIndex = 13
    case dropIndex = 14
    case get = 15
    case scan = 16
    case commit = 17
    case subscribe = 18
    case unsubscribe = 19
    case receipt = 20

    // Responses.
    case timestampResult = 64
    case catalogResult = 65
    case tableResult = 66
    case indexResult = 67
    case documentsResult = 68
    case scanResult = 69
    case commitResult = 70
    case done = 71
    case error = 72

    // Pushes from the storage node.
    case invalidated = 96

    // Coordinator ↔ runner.
    case registerRunner = 32
    case runFunction = 33
    case fetchBundle = 34
    case actionCall = 35
    case analyzeBundle = 36
    case fetchEnvironment = 37
    case runnerRegistered = 80
    case functionResult = 81
    case bundleSource = 82
    case runnerError = 83
    case bundleAnalysis = 84
    case environmentSource = 85
    case runnerUnavailable = 86
}
