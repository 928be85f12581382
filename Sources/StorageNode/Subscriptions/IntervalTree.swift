import Protocol

/// Half-open key intervals with a payload, answering "which intervals contain this key" in
/// O(log n + matches). A treap ordered by (start, payload), each node knowing the greatest end below it.
struct IntervalTree<Payload: Hashable & Comparable> {
    private final class Node {
        let interval: KeyInterval
        let payload: Payload
        let priority: UInt64
        var left: Node?
        var right: Node?
        /// The greatest end in this subtree; nil means unbounded.
        var maxEnd: [UInt8]?

        init(interval: KeyInterval, payload: Payload, priority: UInt64) {
            self.interval = interval
            self.payload = payload
            self.priority = priority
            maxEnd = interval.end
        }

        func update() {
            maxEnd = interval.end
            for child in [left, right] {
                guard let child else { continue }
                guard let current = maxEnd, let other = child.maxEnd else { maxEnd = nil; return }
                if current.lexicographicallyPrecedes(other) { maxEnd = other }
            }
        }

        func precedes(_ start: [UInt8], _ payload: Payload) -> Bool {
            if interval.start == start { return self.payload < payload }
            return interval.start.lexicographicallyPrecedes(start)
        }
    }

    private var root: Node?
    private var rng = SystemRandomNumberGenerator()
    private(set) var count = 0

    mutating func insert(_ interval: KeyInterval, payload: Payload) {
        root = insert(Node(interval: interval, payload: payload, priority: rng.next()), into: root)
        count += 1
    }

    private func insert(_ node: Node, into tree: Node?) -> Node {
        guard let tree else { return node }
        if node.priority > tree.priority {
            let (l, r) = split(tree, node.interval.start, node.payload)
            node.left = l
            node.right = r
            node.update()
            return node
        }
        if tree.precedes(node.interval.start, node.payload) {
            tree.right = insert(node, into: tree.right)
        } else {
            tree.left = insert(node, into: tree.left)
        }
        tree.update()
        return tree
    }

    /// Splits into nodes before (start, payload) and the rest.
    private func split(_ tree: Node?, _ start: [UInt8], _ payload: Payload) -> (Node?, Node?) {
        guard let tree else { return (nil, nil) }
        if tree.precedes(start, payload) {
            let (l, r) = split(tree.right, start, payload)
            tree.right = l
            tree.update()
            return (tree, r)
        } else {
            let (l, r) = split(tree.left, start, payload)
            tree.left = r
            tree.update()
            return (l, tree)
        }
    }

    private func merge(_ a: Node?, _ b: Node?) -> Node? {
        guard let a else { return b }
        guard let b else { return a }
        if a.priority > b.priority {
            a.right = merge(a.right, b)
            a.update()
            return a
        } else {
            b.left = merge(a, b.left)
            b.update()
            return b
        }
    }

    mutating func remove(_ interval: KeyInterval, payload: Payload) {
        var removed = false
        root = remove(interval.start, payload, from: root, removed: &removed)
        if removed { count -= 1 }
    }

    private func remove(_ start: [UInt8], _ payload: Payload, from tree: Node?, removed: inout Bool) -> Node? {
        guard let tree else { return nil }
        if tree.interval.start == start && tree.payload == payload {
            removed = true
            return merge(tree.left, tree.right)
        }
        if tree.precedes(start, payload) {
            tree.right = remove(start, payload, from: tree.right, removed: &removed)
        } else {
            tree.left = remove(start, payload, from: tree.left, removed: &removed)
        }
        tree.update()
        return tree
    }

    /// Calls `body` with every payload.
    func forEach(_ body: (Payload) -> Void) {
        func walk(_ node: Node?) {
            guard let node else { return }
            walk(node.left)
            body(node.payload)
            walk(node.right)
        }
        walk(root)
    }

    /// Calls `body` with the payload of every interval that contains `key`.
    func forEachContaining(_ key: [UInt8], _ body: (Payload) -> Void) {
        visit(root, key, body)
    }

    private func visit(_ node: Node?, _ key: [UInt8], _ body: (Payload) -> Void) {
        guard let node else { return }
        // Every end in this subtree is at or below the key: nothing here contains it.
        if let maxEnd = node.maxEnd, !key.lexicographicallyPrecedes(maxEnd) { return }
        visit(node.left, key, body)
        if node.interval.contains(key) { body(node.payload) }
        // Starts on the right are at or after this one; past the key, none can contain it.
        if !key.lexicographicallyPrecedes(node.interval.start) { visit(node.right, key, body) }
    }
}
