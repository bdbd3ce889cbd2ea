using System.Buffers.Binary;
using System.IO;
using System.Text;

namespace SnnDsl.CSharp.Tests;

/// <summary>The event datasets through the C# facade: names, options, the frame cache.</summary>
public class EventDatasetTests
{
    private static readonly string[] Classes =
        { "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck" };

    /// <summary>A CIFAR10-DVS tree of AEDAT 2.0 files: 10 recordings per class, recording i of class c holding
    /// c + 1 events at raw (x = i, y = c, p = 0), written from the format description.</summary>
    private static string WriteCifar10Dvs()
    {
        var root = Path.Combine(Path.GetTempPath(), "snndsl-cs-dvs-" + Guid.NewGuid().ToString("N"));
        for (var label = 0; label < Classes.Length; label++)
        {
            var dir = Directory.CreateDirectory(Path.Combine(root, Classes[label])).FullName;
            for (var i = 0; i < 10; i++)
            {
                using var ms = new MemoryStream();
                ms.Write(Encoding.ASCII.GetBytes("#!AER-DAT2.0\r\n# This is a raw AE data file - do not edit\r\n"));
                var e = new byte[8];
                for (var k = 0; k <= label; k++)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(e, (uint)((label << 8) | (i << 1)));
                    BinaryPrimitives.WriteUInt32BigEndian(e.AsSpan(4), (uint)(10 * k));
                    ms.Write(e);
                }
                File.WriteAllBytes(Path.Combine(dir, $"cifar10_{Classes[label]}_{i}.aedat"), ms.ToArray());
            }
        }
        return root;
    }

    [Fact]
    public void EventDatasetsLoadThroughTheFrameCacheWithTheirOptions()
    {
        Assert.Contains("cifar10-dvs", Datasets.Names);
        Assert.Contains("dvs-gesture", Datasets.Names);
        Assert.Contains("shd", Datasets.Names);
        var root = WriteCifar10Dvs();
        var cache = Path.Combine(root, "cache");
        try
        {
            var options = new DatasetOptions
            {
                Frames = 2, SplitBy = EventSplit.Time, Resize = 48, CacheDirectory = cache,
                Cifar10DvsSplit = Cifar10DvsSplit.NineToOne,
            };
            var cold = Datasets.Load("cifar10-dvs", root, options);
            Assert.Equal(90, cold.Train.Count);
            Assert.Equal(10, cold.Test.Count);
            Assert.Equal(new[] { 2, 2, 48, 48 }, cold.Train.SampleShape);
            Assert.StartsWith("frames integrated and cached", cold.Train.FrameSource);
            var warm = Datasets.Load("cifar10-dvs", root, options);
            Assert.StartsWith("frames reused from the cache", warm.Test.FrameSource);
            Assert.Equal(cold.Test.GetSample(3), warm.Test.GetSample(3));
            var memory = Datasets.LoadSplit("cifar10-dvs", false, root, new DatasetOptions { Frames = 2, UseCache = false });
            Assert.Equal(100, memory.Count); // the paper split tests on recordings 0..99 of each class: here all 10 of each
            Assert.Equal("frames integrated in memory (cache off)", memory.FrameSource);
            Assert.Null(Datasets.Synthetic(10, 10).Train.FrameSource);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void AMissingEventDatasetIsADatasetExceptionAndABadWindowIsRejected()
    {
        var e = Assert.Throws<DatasetException>(() => Datasets.LoadSplit("dvs-gesture", true, Path.GetTempPath()));
        Assert.Contains("trials_to_train.txt", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Datasets.LoadSplit("cifar10-dvs", true, Path.GetTempPath(), new DatasetOptions { WindowMicroseconds = 0 }));
    }
}
