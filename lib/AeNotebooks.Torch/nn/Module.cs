using System.Reflection;
using AeNotebooks.Torch.Modules;

namespace AeNotebooks.Torch.Modules
{
    /// <summary>A tensor that a module trains: a leaf that requires grad by default.</summary>
    public sealed class Parameter : torch.Tensor
    {
        public Parameter(torch.Tensor data, bool requires_grad = true)
            : base(data.ReadOnlySpan.ToArray(), (int[])data.dims.Clone())
        {
            this.requires_grad = requires_grad;
        }
    }

    /// <summary>Returned by register_*_hook; dispose (or call remove) to unregister.</summary>
    public sealed class HookHandle : IDisposable
    {
        readonly Action remove;
        internal HookHandle(Action remove) => this.remove = remove;
        public void remove_() => remove();
        public void Dispose() => remove();
    }
}

namespace AeNotebooks.Torch
{
    public static partial class torch
    {
        public static partial class nn
        {
            /// <summary>
            /// Base of all layers: named parameters, buffers and child modules, train/eval mode,
            /// state_dict and save/load. Children and parameters held in fields are found by
            /// RegisterComponents(), as in TorchSharp.
            /// </summary>
            public abstract class Module
            {
                readonly Dictionary<string, Parameter> parameters_ = new();
                readonly Dictionary<string, Tensor> buffers_ = new();
                readonly Dictionary<string, Module> children_ = new();

                protected Module(string name) => this.name = name;

                /// <summary>The layer's kind (e.g. "Linear"), used in messages.</summary>
                public string name { get; }

                public bool training { get; private set; } = true;

                public virtual Module train(bool mode = true)
                {
                    training = mode;
                    foreach (var child in children_.Values) child.train(mode);
                    return this;
                }

                public Module eval() => train(false);

                public void register_parameter(string name, Parameter? parameter)
                {
                    if (parameter is null) parameters_.Remove(name); else parameters_[name] = parameter;
                }

                public void register_buffer(string name, Tensor buffer) => buffers_[name] = buffer;

                public void register_module(string name, Module module) => children_[name] = module;

                /// <summary>Registers every Module and Parameter field of the derived class under its field name.</summary>
                protected void RegisterComponents()
                {
                    const BindingFlags flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
                    for (var type = GetType(); type != null && type != typeof(Module); type = type.BaseType)
                        foreach (var field in type.GetFields(flags))
                        {
                            var fieldName = field.Name.TrimStart('_');
                            if (fieldName.Contains('<')) continue; // compiler-generated backing fields
                            switch (field.GetValue(this))
                            {
                                case Parameter p: register_parameter(fieldName, p); break;
                                case Module m: register_module(fieldName, m); break;
                            }
                        }
                }

                public IEnumerable<(string name, Module module)> named_children() => children_.Select(kv => (kv.Key, kv.Value));
                public IEnumerable<Module> children() => children_.Values;

                /// <summary>This module and all below it, with dotted names ("" for this one).</summary>
                public IEnumerable<(string name, Module module)> named_modules()
                {
                    yield return ("", this);
                    foreach (var (childName, child) in named_children())
                        foreach (var (sub, m) in child.named_modules())
                            yield return (sub.Length == 0 ? childName : childName + "." + sub, m);
                }

                public IEnumerable<Module> modules() => named_modules().Select(x => x.module);

                public IEnumerable<(string name, Parameter parameter)> named_parameters(bool recurse = true)
                {
                    foreach (var kv in parameters_) yield return (kv.Key, kv.Value);
                    if (!recurse) yield break;
                    foreach (var (childName, child) in named_children())
                        foreach (var (sub, p) in child.named_parameters())
                            yield return (childName + "." + sub, p);
                }

                public IEnumerable<Parameter> parameters(bool recurse = true) => named_parameters(recurse).Select(x => x.parameter);

                public IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true)
                {
                    foreach (var kv in buffers_) yield return (kv.Key, kv.Value);
                    if (!recurse) yield break;
                    foreach (var (childName, child) in named_children())
                        foreach (var (sub, b) in child.named_buffers())
                            yield return (childName + "." + sub, b);
                }

                /// <summary>Total number of trainable values (an addition to TorchSharp's API).</summary>
                public long parameter_count() => parameters().Sum(p => p.numel());

                public void zero_grad()
                {
                    foreach (var p in parameters()) p.grad = null;
                }

                /// <summary>Parameters and buffers by dotted name (the live tensors, as in PyTorch).</summary>
                public Dictionary<string, Tensor> state_dict()
                {
                    var d = new Dictionary<string, Tensor>();
                    foreach (var (n, p) in named_parameters()) d[n] = p;
                    foreach (var (n, b) in named_buffers()) d[n] = b;
                    return d;
                }

                /// <summary>Copies values into this module's parameters and buffers; names and shapes must match.</summary>
                public (IList<string> missing, IList<string> unexpected) load_state_dict(Dictionary<string, Tensor> source, bool strict = true)
                {
                    var own = state_dict();
                    var missing = own.Keys.Where(k => !source.ContainsKey(k)).ToList();
                    var unexpected = source.Keys.Where(k => !own.ContainsKey(k)).ToList();
                    if (strict && (missing.Count > 0 || unexpected.Count > 0))
                        throw new ArgumentException($"load_state_dict into {name}: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}]");
                    foreach (var (key, target) in own)
                    {
                        if (!source.TryGetValue(key, out var value)) continue;
                        if (!ShapeUtil.Same(target.dims, value.dims))
                            throw new ArgumentException($"load_state_dict into {name}: '{key}' has shape {ShapeUtil.Format(target.dims)}, the source has {ShapeUtil.Format(value.dims)}");
                        target.copy_(value);
                    }
                    return (missing, unexpected);
                }

                /// <summary>Writes the state_dict to a file (the engine's own format: names, shapes, float32 values).</summary>
                public Module save(string path)
                {
                    using var writer = new BinaryWriter(File.Create(path));
                    StateFile.Write(writer, state_dict());
                    return this;
                }

                /// <summary>Reads a file written by save() into this module.</summary>
                public Module load(string path, bool strict = true)
                {
                    Dictionary<string, Tensor> state;
                    try
                    {
                        using var reader = new BinaryReader(File.OpenRead(path));
                        state = StateFile.Read(reader);
                    }
                    catch (Exception e) when (e is EndOfStreamException or InvalidDataException or FormatException or OverflowException)
                    {
                        throw new InvalidDataException($"{path}: not a model file written by Module.save ({e.Message})", e);
                    }
                    load_state_dict(state, strict);
                    return this;
                }

                public override string ToString() => ToString(0);

                string ToString(int indent)
                {
                    if (children_.Count == 0) return Describe();
                    var pad = new string(' ', indent + 2);
                    var lines = children_.Select(kv => $"{pad}({kv.Key}): {kv.Value.ToString(indent + 2)}");
                    return $"{name}(\n{string.Join("\n", lines)}\n{new string(' ', indent)})";
                }

                /// <summary>One-line description of a leaf module, e.g. "Linear(100→32)".</summary>
                protected virtual string Describe() => name + "()";
            }

            /// <summary>A module with one input and one output.</summary>
            public abstract class Module<T, TResult> : Module
            {
                readonly List<Func<Module<T, TResult>, T, T>> preHooks = new();
                readonly List<Func<Module<T, TResult>, T, TResult, TResult>> hooks = new();

                protected Module(string name) : base(name) { }

                public abstract TResult forward(T input);

                /// <summary>Runs forward with the registered hooks (containers call children this way).</summary>
                public TResult call(T input)
                {
                    foreach (var pre in preHooks.ToArray()) input = pre(this, input) ?? input;
                    var output = forward(input);
                    foreach (var hook in hooks.ToArray()) output = hook(this, input, output) ?? output;
                    return output;
                }

                /// <summary>hook(module, input, output) runs after forward; a non-null return replaces the output.</summary>
                public HookHandle register_forward_hook(Func<Module<T, TResult>, T, TResult, TResult> hook)
                {
                    hooks.Add(hook);
                    return new HookHandle(() => hooks.Remove(hook));
                }

                /// <summary>hook(module, input) runs before forward; a non-null return replaces the input.</summary>
                public HookHandle register_forward_pre_hook(Func<Module<T, TResult>, T, T> hook)
                {
                    preHooks.Add(hook);
                    return new HookHandle(() => preHooks.Remove(hook));
                }
            }

            /// <summary>A module with two inputs, e.g. a loss (input, target).</summary>
            public abstract class Module<T1, T2, TResult> : Module
            {
                protected Module(string name) : base(name) { }
                public abstract TResult forward(T1 input1, T2 input2);
                public TResult call(T1 input1, T2 input2) => forward(input1, input2);
            }
        }
    }

    /// <summary>The save()/load() file: magic, count, then (name, rank, dims, values) per tensor.</summary>
    internal static class StateFile
    {
        const string Magic = "AENB-STATE-1";

        public static void Write(BinaryWriter w, Dictionary<string, torch.Tensor> state)
        {
            w.Write(Magic);
            w.Write(state.Count);
            foreach (var (name, t) in state)
            {
                w.Write(name);
                w.Write(t.dims.Length);
                foreach (var d in t.dims) w.Write(d);
                foreach (var v in t.ReadOnlySpan) w.Write(v);
            }
        }

        public static Dictionary<string, torch.Tensor> Read(BinaryReader r)
        {
            var magic = r.ReadString();
            if (magic != Magic) throw new InvalidDataException($"expected header {Magic}, found '{magic}'");
            int count = r.ReadInt32();
            if (count < 0) throw new InvalidDataException($"negative tensor count {count}");
            var state = new Dictionary<string, torch.Tensor>();
            for (int i = 0; i < count; i++)
            {
                var name = r.ReadString();
                int rank = r.ReadInt32();
                if (rank < 0 || rank > 32) throw new InvalidDataException($"tensor '{name}' has an impossible rank {rank}");
                var dims = new int[rank];
                long elements = 1;
                for (int d = 0; d < dims.Length; d++)
                {
                    dims[d] = r.ReadInt32();
                    if (dims[d] < 0) throw new InvalidDataException($"tensor '{name}' has a negative dimension {dims[d]}");
                    elements *= dims[d];
                }
                // check against the bytes left before allocating, so a corrupt size cannot ask for gigabytes
                if (elements * sizeof(float) > r.BaseStream.Length - r.BaseStream.Position)
                    throw new InvalidDataException($"tensor '{name}' claims {elements} values, more than the file holds");
                var values = new float[elements];
                for (int k = 0; k < values.Length; k++) values[k] = r.ReadSingle();
                state[name] = new torch.Tensor(values, dims);
            }
            return state;
        }
    }
}
