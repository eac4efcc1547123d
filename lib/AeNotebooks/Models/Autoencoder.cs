using AeNotebooks.Rendering;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AeNotebooks;

/// <summary>
/// An encoder and a decoder. forward(x) = decoder(encoder(x)), reshaped back to x's shape, so a
/// dense autoencoder takes images [N,1,28,28] as they come.
/// </summary>
[TypeFormatterSource(typeof(RenderableFormatterSource), PreferredMimeTypes = ["text/html", "text/plain"])]
public sealed class Autoencoder : nn.Module<Tensor, Tensor>, IRenderable
{
    public Sequential encoder { get; }
    public Sequential decoder { get; }

    /// <summary>The activation of the last layer (what range the reconstruction can take).</summary>
    public Activation OutputActivation { get; }

    /// <summary>The shape of one sample the model expects, e.g. [784] or [1, 28, 28].</summary>
    public long[] SampleShape { get; }

    /// <summary>Width of the code (the bottleneck).</summary>
    public long CodeSize { get; }

    public string Description { get; }

    public Autoencoder(Sequential encoder, Sequential decoder, long[] sampleShape, long codeSize, Activation output, string description)
        : base("Autoencoder")
    {
        this.encoder = encoder; this.decoder = decoder;
        SampleShape = sampleShape; CodeSize = codeSize; OutputActivation = output; Description = description;
        register_module("encoder", encoder);
        register_module("decoder", decoder);
    }

    bool Flattens => SampleShape.Length == 1;

    public Tensor encode(Tensor x) => encoder.call(Flattens && x.dim() > 2 ? x.flatten(1) : x);

    public override Tensor forward(Tensor x)
    {
        try
        {
            var y = decoder.call(encode(x));
            return Flattens && x.dim() > 2 ? y.reshape(x.shape) : y;
        }
        catch (Exception error) when (error is System.Runtime.InteropServices.ExternalException or ArgumentException && FailingLayer(x) is { } layer)
        {
            // TorchSharp or libtorch says what did not fit (libtorch with a C++ stack trace); say which layer met it
            var message = error.Message.Split('\n')[0];
            throw new ArgumentException($"layer {layer.name} ({layer.kind}) cannot take an input of shape [{string.Join(", ", layer.shape)}]: {message}", error);
        }
    }

    /// <summary>Re-runs the model with forward pre-hooks to find the leaf layer that fails on x (only after a failure).</summary>
    (string name, string kind, long[] shape)? FailingLayer(Tensor x)
    {
        (string name, string kind, long[] shape)? running = null;
        var handles = new List<IDisposable>();
        foreach (var (name, module) in named_modules())
            if (!module.children().Any() && module is nn.Module<Tensor, Tensor> leaf)
                handles.Add(leaf.BeforeForward((m, input) => { running = (name, m.Kind(), input.shape); return input; }));
        try
        {
            using var scope = NewDisposeScope();
            using (no_grad()) decoder.call(encode(x));
            return null;
        }
        catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or ArgumentException) { return running; }
        finally { foreach (var h in handles) h.Dispose(); }
    }

    public string ToText() => Summary().ToText();
    public string ToHtml() => Summary().ToHtml();

    /// <summary>Layers, output shapes and parameter counts, as Keras's model.summary().</summary>
    public Table Summary() => ModelSummary.Of(this, SampleShape, Description);
}
