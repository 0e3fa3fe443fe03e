extension RandomAccessCollection where Index == Int {
    /// The index of the first element for which `belongsToFirstPart` is false, in a partitioned collection
    /// (binary search: every element that belongs to the first part comes before every one that does not).
    public func partitionPoint(_ belongsToFirstPart: (Element) -> Bool) -> Int {
        var low = startIndex
        var high = endIndex
        while low < high {
            let middle = (low + high) / 2
            if belongsToFirstPart(self[middle]) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
