namespace AeNotebooks.Tests;

[Collection(DataFilesCollection.Name)]
public class DataFolderTests
{
    static void WithDataFolder(string? folder, Action action)
    {
        var saved = Environment.GetEnvironmentVariable(DataFolder.EnvironmentVariable);
        Environment.SetEnvironmentVariable(DataFolder.EnvironmentVariable, folder);
        try { action(); }
        finally { Environment.SetEnvironmentVariable(DataFolder.EnvironmentVariable, saved); }
    }

    [Fact]
    public void The_data_folder_is_found_by_walking_up_from_the_library()
    {
        WithDataFolder(null, () =>
        {
            var expected = Path.Combine(TestUtil.RepositoryRoot(), "data");
            Assert.Equal(Path.GetFullPath(expected), DataFolder.Path);
            Assert.True(File.Exists(DataFolder.File("mnist-train-images-idx3-ubyte.gz")));
        });
    }

    [Fact]
    public void A_missing_file_names_the_file_and_the_rebuild_command()
    {
        var empty = Directory.CreateTempSubdirectory("aen-data-");
        try
        {
            WithDataFolder(empty.FullName, () =>
            {
                var error = Assert.Throws<FileNotFoundException>(() => Datasets.Mnist());
                var expected = Path.Combine(empty.FullName, "mnist-train-images-idx3-ubyte.gz");
                Assert.Equal(expected, error.FileName);
                Assert.Contains(expected, error.Message);
                Assert.Contains("bash data/build/rebuild.sh", error.Message);
                Assert.Contains("AENOTEBOOKS_DATA", error.Message);
            });
        }
        finally { empty.Delete(recursive: true); }
    }

    [Fact]
    public void AENOTEBOOKS_DATA_points_somewhere_else()
    {
        var source = Path.Combine(TestUtil.RepositoryRoot(), "data");
        var copy = Directory.CreateTempSubdirectory("aen-data-");
        try
        {
            foreach (var file in Directory.GetFiles(source, "mnist-*.gz")) File.Copy(file, Path.Combine(copy.FullName, Path.GetFileName(file)));
            WithDataFolder(copy.FullName, () =>
            {
                Assert.Equal(copy.FullName, DataFolder.Path);
                var mnist = Datasets.Mnist(count: 10);
                Assert.Equal(8, mnist.TrainCount);
                // Only MNIST was copied: Fashion-MNIST's first file is reported missing, in the overriding folder.
                var error = Assert.Throws<FileNotFoundException>(() => Datasets.FashionMnist());
                Assert.StartsWith(copy.FullName, error.FileName);
            });
            if (Environment.GetEnvironmentVariable(DataFolder.EnvironmentVariable) is null)
                Assert.Equal(Path.GetFullPath(source), DataFolder.Path); // the override is gone again
        }
        finally { copy.Delete(recursive: true); }
    }
}
