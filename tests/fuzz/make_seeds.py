#!/usr/bin/env python3
"""Writes the hand-made and fixture-derived seed corpora of tests/fuzz/corpus/.

Run from anywhere: python3 tests/fuzz/make_seeds.py (a Python 3 with the `onnx`
package for the ONNX seeds, e.g. .venv-test/bin/python; they are skipped
without it). Files are small (< 64 KB). Crash reproducers found by the
fuzzers are added to the corpora by hand (named crash-*) and never rewritten
by this script. Re-running it rewrites only the seed-* files.
"""
import json
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(ROOT, 'tests', 'fixtures', 'models')
CORPUS = os.path.join(HERE, 'corpus')
LIMIT = 64 * 1024


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode('utf-8', 'surrogateescape')
    assert len(data) < LIMIT, (target, name, len(data))
    with open(os.path.join(d, 'seed-' + name), 'wb') as f:
        f.write(data)


def st(header, data_len, raw_header=False):
    h = header if raw_header else json.dumps(header, separators=(',', ':'))
    hb = h.encode('utf-8', 'surrogateescape') if isinstance(h, str) else h
    return struct.pack('<Q', len(hb)) + hb + b'\x01' * data_len


def T(dtype, shape, b, e):
    return {'dtype': dtype, 'shape': shape, 'data_offsets': [b, e]}


def safetensors_seeds():
    out = {}
    # Fixture headers: the header plus a short data prefix (files truncated to
    # stay small: they exercise "incomplete file"), and a header-only copy
    # whose data offsets are rewritten to fit (a valid file).
    for model in ['llama-tiny', 'bert-tiny', 'gpt2-tiny', 'gemma-tiny', 'xlm-roberta-tiny']:
        p = os.path.join(FIX, model, 'model.safetensors')
        with open(p, 'rb') as f:
            n = struct.unpack('<Q', f.read(8))[0]
            hdr = f.read(n)
        out[model + '-truncated'] = struct.pack('<Q', n) + hdr + b'\0' * 64
        meta = json.loads(hdr)
        # Same names and dtypes, shapes shrunk to at most 2 elements per dim.
        shrunk, off = {}, 0
        sizes = {'F32': 4, 'F16': 2, 'BF16': 2, 'I64': 8, 'I32': 4, 'U8': 1, 'I8': 1, 'F64': 8, 'BOOL': 1}
        for k, v in meta.items():
            if k == '__metadata__':
                shrunk[k] = v
                continue
            shape = [min(d, 2) for d in v['shape']]
            nb = sizes.get(v['dtype'], 4)
            for d in shape:
                nb *= d
            shrunk[k] = T(v['dtype'], shape, off, off + nb)
            off += nb
        out[model + '-shrunk'] = st(shrunk, off)
    ok = {'w': T('F32', [2], 0, 8), 'b': T('I8', [3], 8, 11)}
    out['valid'] = st(ok, 11)
    out['valid-meta'] = st({'__metadata__': {'format': 'pt'}, **ok}, 11)
    out['empty'] = b''
    out['7-bytes'] = b'\x01' * 7
    out['n-max'] = b'\xff' * 8 + b'{}'
    out['n-past-end'] = struct.pack('<Q', 1000) + b'{}'
    out['n-cap'] = struct.pack('<Q', 100000001) + b'{}'
    out['not-utf8'] = st('{"\xff":1}', 0, True)
    out['not-json'] = st('{', 0, True)
    out['array'] = st('[]', 0, True)
    out['string'] = st('"x"', 0, True)
    out['ws-array'] = st('  [', 0, True)
    out['ws-object'] = st(' {}   ', 0, True)
    out['unknown-dtype'] = st({'w': T('F128', [1], 0, 16)}, 16)
    out['lower-dtype'] = st({'w': T('f32', [1], 0, 4)}, 4)
    out['f4-odd'] = st({'w': T('F4', [3], 0, 2)}, 2)
    out['f4-even'] = st({'w': T('F4', [4], 0, 2)}, 2)
    out['neg-shape'] = st({'w': T('F32', [-1], 0, 4)}, 4)
    out['float-shape'] = st('{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}', 4, True)
    out['huge-shape'] = st('{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}', 4, True)
    out['rank-9'] = st({'w': T('U8', [1] * 9, 0, 1)}, 1)
    out['offsets-1'] = st('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', 4, True)
    out['offsets-3'] = st('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}', 4, True)
    out['reversed'] = st({'w': T('F32', [0], 4, 0)}, 4)
    out['gap'] = st({'a': T('F32', [1], 0, 4), 'b': T('F32', [1], 8, 12)}, 12)
    out['overlap'] = st({'a': T('F32', [2], 0, 8), 'b': T('F32', [1], 4, 8)}, 8)
    out['identical'] = st({'a': T('F32', [1], 0, 4), 'b': T('F32', [1], 0, 4)}, 4)
    out['not-at-0'] = st({'a': T('F32', [1], 4, 8)}, 8)
    out['size-mismatch'] = st({'w': T('I32', [2, 2], 0, 4)}, 4)
    out['trailing'] = st({'w': T('F32', [1], 0, 4)}, 9)
    out['missing'] = st({'w': T('F32', [2], 0, 8)}, 5)
    out['duplicate'] = st('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8, True)
    out['meta-int'] = st({'__metadata__': {'format': 1}}, 0)
    out['meta-nested'] = st({'__metadata__': {'a': {'b': 'c'}}}, 0)
    out['meta-tf'] = st({'__metadata__': {'format': 'tf'}, 'w': T('F32', [1], 0, 4)}, 4)
    out['zero-size'] = st({'z': T('F32', [2, 0], 0, 0), 's': T('F32', [], 0, 4)}, 4)
    out['misaligned'] = st(' ' * 3 + json.dumps({'w': T('I64', [1], 0, 8)}), 8, True)
    out['extra-field'] = st({'w': {**T('F32', [1], 0, 4), 'foo': 1}}, 4)
    out['deep'] = st('{"w":' + '[' * 200 + ']' * 200 + '}', 0, True)
    out['bom'] = st('\ufeff{}', 0, True)
    out['many-zero'] = st({('t%d' % i): T('U8', [0], 0, 0) for i in range(50)}, 0)
    return out


def main():
    for name, data in safetensors_seeds().items():
        put('safetensors', name, data)
        put('safetensors_file', name, data)

    # JSON and config files.
    kinds = ['config.json', 'generation_config.json', 'tokenizer_config.json', 'special_tokens_map.json',
             'modules.json', 'model.safetensors.index.json']
    for model in sorted(os.listdir(FIX)):
        for k in kinds:
            p = os.path.join(FIX, model, k)
            if os.path.exists(p):
                with open(p, 'rb') as f:
                    data = f.read()
                if k != 'model.safetensors.index.json':
                    put('config', model + '-' + k, data)
                if model in ('llama-tiny', 'bert-tiny', 'gpt2-tiny'):
                    put('json', model + '-' + k, data)
    adapter = {'peft_type': 'LORA', 'r': 8, 'lora_alpha': 16, 'lora_dropout': 0.05,
               'target_modules': ['q_proj', 'v_proj'], 'bias': 'none', 'base_model_name_or_path': 'x/y',
               'fan_in_fan_out': False, 'use_dora': False, 'rank_pattern': {}, 'modules_to_save': None}
    put('config', 'adapter_config.json', json.dumps(adapter, indent=2))
    put('config', 'adapter-dora', json.dumps({**adapter, 'use_dora': True}))
    put('config', 'adapter-regex', json.dumps({**adapter, 'target_modules': '(a+)+$'}))
    put('config', 'adapter-r0', json.dumps({**adapter, 'r': 0}))
    put('config', 'adapter-alpha-nan', json.dumps(adapter).replace('"lora_alpha": 16', '"lora_alpha": 1e400'))
    with open(os.path.join(FIX, 'llama-tiny', 'config.json')) as f:
        llama = json.load(f)
    edge = {
        'layers-0': {**llama, 'num_hidden_layers': 0},
        'hidden-neg': {**llama, 'hidden_size': -1},
        'vocab-2-40': {**llama, 'vocab_size': 2 ** 40},
        'inter-2-62': {**llama, 'intermediate_size': 2 ** 62},
        'heads-indivisible': {**llama, 'hidden_size': 30, 'num_attention_heads': 4},
        'kv-indivisible': {**llama, 'num_key_value_heads': 3},
        'layers-string': {**llama, 'num_hidden_layers': '32'},
        'layers-float': {**llama, 'num_hidden_layers': 2.0},
        'layers-list': {**llama, 'num_hidden_layers': [2]},
        'null-optional': {**llama, 'rope_scaling': None, 'sliding_window': None, 'pad_token_id': None},
        'no-arch': {k: v for k, v in llama.items() if k != 'architectures'},
        'unknown-arch': {**llama, 'architectures': ['FooForCausalLM']},
        'rope-llama3': {**llama, 'rope_scaling': {'rope_type': 'llama3', 'factor': 8.0, 'low_freq_factor': 1.0,
                                                  'high_freq_factor': 4.0,
                                                  'original_max_position_embeddings': 8192}},
        'rope-parameters': {**llama, 'rope_parameters': {'rope_type': 'default', 'rope_theta': 500000.0}},
        'text-config': {'architectures': llama['architectures'], 'model_type': 'llava',
                        'text_config': {k: v for k, v in llama.items() if k not in ('architectures',)}},
        'eos-list': {**llama, 'eos_token_id': [2, 3]},
        'dtype-new': {**llama, 'dtype': 'bfloat16'},
        'gen-bad': {'temperature': -1, 'top_p': 0, 'top_k': -1, 'repetition_penalty': 0, 'max_new_tokens': -5},
        'tok-bad': {'model_max_length': 0, 'padding_side': 'middle', 'bos_token': {'x': 1}},
    }
    for name, obj in edge.items():
        put('config', name, json.dumps(obj))
    put('config', 'huge-int', json.dumps(llama)[:-1] + ', "model_max_length": 1000000000000000019884624838656}')
    put('config', 'inf', '{"model_max_length": 1e400, "rope_theta": 1e400, "temperature": -0}')
    put('config', 'dup-key', '{"hidden_size":4096,"hidden_size":8}')
    json_edge = {
        'empty': '', 'null': 'null', 'array': '[]', 'string': '"x"', 'truncated': '{"a":', 'bom': '\ufeff{"a":1}',
        'utf16': b'\xff\xfe{\x00}\x00', 'bad-utf8': b'{"a":"\xc3\x28"}', 'deep': '[' * 70 + ']' * 70,
        'deep-obj': '{"a":' * 10 + '1' + '}' * 10, 'dup': '{"a":1,"a":2}', 'nested-dup': '{"x":{"a":1,"a":2}}',
        'big-int': '{"n":1000000000000000019884624838656}', 'inf': '[1e400,-1e400,-0,0.1,1e-400]',
        'escapes': '{"s":"\\u0000\\ud83d\\ude00\\ud800\\t\\n"}', 'lone-surrogate': '{"s":"\\udc00"}',
        'nul': b'{"a":\x00}', 'control': '{"a":"\x01"}', 'trailing': '{} x', 'ws': ' \t\r\n{}\n',
        'numbers': '[1,-1,1.5e3,0.0,-0.0,1E+2,123456789012345678901234567890]',
    }
    for name, data in json_edge.items():
        put('json', name, data)
        if name in ('empty', 'null', 'array', 'truncated', 'bom', 'utf16', 'bad-utf8', 'deep', 'dup'):
            put('config', 'json-' + name, data)

    # Sharded index (fuzz_index: shards a.safetensors {x, y}, b.safetensors {z}).
    with open(os.path.join(FIX, 'llama-tiny-sharded', 'model.safetensors.index.json'), 'rb') as f:
        put('index', 'fixture-index.json', f.read())
    good = {'metadata': {'total_size': 15}, 'weight_map': {'x': 'a.safetensors', 'y': 'a.safetensors',
                                                           'z': 'b.safetensors'}}
    idx = {
        'valid': good,
        'partial': {'weight_map': {'x': 'a.safetensors'}},
        'no-weight-map': {'metadata': {}},
        'weight-map-list': {'weight_map': ['a.safetensors']},
        'value-int': {'weight_map': {'x': 1}},
        'absolute': {'weight_map': {'x': '/etc/passwd'}},
        'dotdot': {'weight_map': {'x': '../outside.safetensors'}},
        'slash': {'weight_map': {'x': 'sub/a.safetensors'}},
        'symlink-out': {'weight_map': {'x': 'out.safetensors'}},
        'symlink-loop': {'weight_map': {'x': 'loop.safetensors'}},
        'missing-shard': {'weight_map': {'x': 'nope.safetensors'}},
        'empty-shard': {'weight_map': {'x': 'empty.safetensors'}},
        'dir-shard': {'weight_map': {'x': 'dir.safetensors'}},
        'pickle': {'weight_map': {'x': 'pytorch_model.bin'}},
        'absent-tensor': {'weight_map': {'q': 'a.safetensors'}},
        'wrong-shard': {'weight_map': {'z': 'a.safetensors'}},
        'total-wrong': {'metadata': {'total_size': 1e300}, 'weight_map': good['weight_map']},
        'metadata-list': {'metadata': [], 'weight_map': good['weight_map']},
        'many-shards': {'weight_map': {('t%d' % i): ('s%d.safetensors' % i) for i in range(10)}},
        'empty-map': {'weight_map': {}},
    }
    for name, obj in idx.items():
        put('index', name, json.dumps(obj))
    put('index', 'dup-key', '{"weight_map":{"x":"a.safetensors","x":"b.safetensors"}}')

    # Tokenizers.
    for model in ['llama-tiny', 'gpt2-tiny', 'bert-tiny', 'xlm-roberta-tiny', 'qwen2-tiny', 'gemma-tiny',
                  'phi3-tiny', 'mpnet-tiny', 'roberta-tiny']:
        with open(os.path.join(FIX, model, 'tokenizer.json'), 'rb') as f:
            put('tokenizer_json', model, f.read())
    wl = {'version': '1.0', 'added_tokens': [{'id': 0, 'content': '[UNK]', 'special': True, 'single_word': False,
                                              'lstrip': False, 'rstrip': False, 'normalized': False}],
          'normalizer': None, 'pre_tokenizer': {'type': 'Whitespace'}, 'post_processor': None, 'decoder': None,
          'model': {'type': 'WordLevel', 'vocab': {'[UNK]': 0, 'a': 1, 'b': 2, 'hello': 3}, 'unk_token': '[UNK]'}}
    put('tokenizer_json', 'wordlevel', json.dumps(wl))
    put('tokenizer_json', 'unknown-model', json.dumps({**wl, 'model': {'type': 'Foo'}}))
    put('tokenizer_json', 'unknown-normalizer', json.dumps({**wl, 'normalizer': {'type': 'Foo'}}))
    put('tokenizer_json', 'unk-not-in-vocab', json.dumps({**wl, 'model': {**wl['model'], 'unk_token': '<x>'}}))
    bpe = {'version': '1.0', 'added_tokens': [], 'normalizer': None, 'pre_tokenizer': None, 'post_processor': None,
           'decoder': None, 'model': {'type': 'BPE', 'vocab': {'a': 0, 'b': 1, 'ab': 2}, 'merges': ['a b'],
                                      'unk_token': None, 'byte_fallback': False}}
    put('tokenizer_json', 'bpe-legacy-merges', json.dumps(bpe))
    put('tokenizer_json', 'bpe-pair-merges', json.dumps({**bpe, 'model': {**bpe['model'], 'merges': [['a', 'b']]}}))
    put('tokenizer_json', 'bpe-bad-merge', json.dumps({**bpe, 'model': {**bpe['model'], 'merges': ['a c']}}))
    put('tokenizer_json', 'bpe-3-part', json.dumps({**bpe, 'model': {**bpe['model'], 'merges': ['a b c']}}))
    put('tokenizer_json', 'regex-split', json.dumps({**bpe, 'pre_tokenizer': {
        'type': 'Split', 'pattern': {'Regex': '(a+)+$'}, 'behavior': 'Isolated', 'invert': False}}))
    put('tokenizer_json', 'nested-seq', json.dumps({**bpe, 'normalizer': {'type': 'Sequence', 'normalizers': [
        {'type': 'Sequence', 'normalizers': [{'type': 'NFKC'}, {'type': 'Lowercase'}]}]}}))

    # tokenize: byte 0 = tokenizer (low nibble) + flags, byte 1 truncation, byte 2 pair cut.
    texts = [b'Hello world', 'Caf\u00e9 \u65e5\u672c\u8a9e \U0001F600'.encode(), b'<s>[CLS]</s><|endoftext|>',
             b'\xff\xfe bad', b'  spaces\t\n\n', b'a' * 200, b'trunc\xe6\x97', b'', '\u0300\u0301x'.encode()]
    for t in range(9):
        for i, text in enumerate(texts):
            flags = [0x00, 0x10, 0x30, 0x50, 0x90, 0xd0][(t + i) % 6]
            put('tokenize', '%d-%d' % (t, i), bytes([t | flags, (i * 37) & 0xff, 5]) + text)
    # detokenize: byte 0 = tokenizer + skip flag, then u16 LE ids.
    for t in range(9):
        ids = [1, 2, 3, 100, 200, 300, 400, 500, 511, 0, 3, 4, 5, 6, 7, 8]
        put('detokenize', '%d' % t, bytes([t]) + b''.join(struct.pack('<H', i) for i in ids))
        put('detokenize', '%d-skip-bytes' % t, bytes([t | 0x10]) + b''.join(struct.pack('<H', i) for i in range(3, 40)))
        put('detokenize', '%d-out-of-range' % t, bytes([t]) + struct.pack('<HHH', 5, 515, 6))

    # external data: location|offset|length|nbytes[|key=value] lines.
    ext = {
        'valid': 'w.bin|0|16|16\nw.bin|64|~|4032\nsub/d.bin|~|~|1024',
        'empty-file': 'empty.bin|0|0|0',
        'symlink': 'link.bin|0|4|4', 'symlink-dir': 'sublink/d.bin|0|4|4', 'hardlink': 'hard.bin|0|4|4',
        'fifo': 'fifo.bin|0|4|4', 'dir': 'dir.bin|0|4|4', 'outside': '../outside.bin|0|4|4',
        'absolute': '/etc/passwd|0|4|4', 'dot': './w.bin|0|4|4', 'empty-comp': 'sub//d.bin|0|4|4',
        'backslash': 'sub\\d.bin|0|4|4', 'ort-marker': '*/_ORT_MEM_ADDR_/*|0|4|4',
        'missing': 'nope.bin|0|4|4', 'no-location': '~|0|4|4', 'dup-location': 'w.bin|0|4|4|location=sub/d.bin',
        'unknown-key': 'w.bin|0|4|4|basepath=/', 'checksum': 'w.bin|0|4|4|checksum=abc',
        'neg-offset': 'w.bin|-1|4|4', 'hex': 'w.bin|0x10|4|4', 'exp': 'w.bin|1e3|4|4', 'plus': 'w.bin|+1|4|4',
        'space': 'w.bin| 1|4|4', 'u64max': 'w.bin|18446744073709551615|4|4',
        'u64over': 'w.bin|18446744073709551616|4|4', 'past-end': 'w.bin|4090|8|8',
        'length-mismatch': 'w.bin|0|8|4', 'no-length-short': 'w.bin|0|~|4', 'cap': 'w.bin|0|~|4096\n' * 20,
        'nul': 'w.b\0in|0|4|4', 'bad-utf8': 'w\xff.bin|0|4|4',
    }
    for name, data in ext.items():
        put('external_data', name, data.encode('latin-1'))

    onnx_seeds()
    package_seeds()
    capi_seeds()


def onnx_seeds():
    for name in ['bert_layer.onnx', 'llama_block.onnx']:
        p = os.path.join(ROOT, 'tests', 'onnx', 'torch_exports', name)
        with open(p, 'rb') as f:
            put('onnx_import', name, f.read())
    try:
        import onnx
        from onnx import helper, TensorProto
    except ImportError:
        print('onnx not available: hand-made ONNX seeds skipped', file=sys.stderr)
        return
    X = helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', 4])
    Y = helper.make_tensor_value_info('y', TensorProto.FLOAT, ['batch', 4])

    def model(nodes, inits, opset=17, ir=8, inputs=None, outputs=None, domain_imports=()):
        g = helper.make_graph(nodes, 'g', inputs or [X], outputs or [Y], inits)
        ops = [helper.make_opsetid('', opset)] + [helper.make_opsetid(d, v) for d, v in domain_imports]
        m = helper.make_model(g, opset_imports=ops)
        m.ir_version = ir
        return m.SerializeToString()

    def ext_init(name, location, offset=None, length=None, dims=(4, 4)):
        t = TensorProto()
        t.name = name
        t.data_type = TensorProto.FLOAT
        t.dims.extend(dims)
        t.data_location = TensorProto.EXTERNAL
        for k, v in [('location', location), ('offset', offset), ('length', length)]:
            if v is not None:
                e = t.external_data.add()
                e.key, e.value = k, str(v)
        return t

    w = helper.make_tensor('w', TensorProto.FLOAT, [4, 4], [0.5] * 16)
    b = helper.make_tensor('b', TensorProto.FLOAT, [4], [1.0] * 4)
    mm = [helper.make_node('MatMul', ['x', 'w'], ['h']), helper.make_node('Add', ['h', 'b'], ['y'])]
    put('onnx_import', 'matmul-add', model(mm, [w, b]))
    put('onnx_import', 'ext-valid', model(mm, [ext_init('w', 'w.bin', 0, 64), b]))
    put('onnx_import', 'ext-sub', model(mm, [ext_init('w', 'sub/d.bin', 64, 64), b]))
    for name, loc in [('ext-symlink', 'link.bin'), ('ext-hardlink', 'hard.bin'), ('ext-fifo', 'fifo.bin'),
                      ('ext-dotdot', '../outside.bin'), ('ext-abs', '/etc/passwd'),
                      ('ext-ort', '*/_ORT_MEM_ADDR_/*'), ('ext-dir', 'dir.bin'), ('ext-missing', 'nope.bin')]:
        put('onnx_import', name, model(mm, [ext_init('w', loc, 0, 64), b]))
    put('onnx_import', 'ext-past-end', model(mm, [ext_init('w', 'w.bin', 4090, 64), b]))
    put('onnx_import', 'ext-neg', model(mm, [ext_init('w', 'w.bin', -1, 64), b]))
    put('onnx_import', 'ir-0', model(mm, [w, b], ir=0))
    put('onnx_import', 'ir-2', model(mm, [w, b], ir=2))
    put('onnx_import', 'opset-10', model(mm, [w, b], opset=10))
    put('onnx_import', 'opset-22', model(mm, [w, b], opset=22))
    put('onnx_import', 'unsupported-op', model([helper.make_node('Loop', ['x'], ['y'])], []))
    put('onnx_import', 'ms-domain', model([helper.make_node('Foo', ['x'], ['y'], domain='com.microsoft')], [],
                                         domain_imports=[('com.microsoft', 1)]))
    put('onnx_import', 'not-topo', model(list(reversed(mm)), [w, b]))
    put('onnx_import', 'undefined-input', model([helper.make_node('Add', ['x', 'nope'], ['y'])], []))
    put('onnx_import', 'dup-output', model([helper.make_node('Relu', ['x'], ['y']),
                                            helper.make_node('Relu', ['x'], ['y'])], []))
    bad = TensorProto()
    bad.name, bad.data_type, bad.raw_data = 'w', TensorProto.FLOAT, b'\0' * 10
    bad.dims.extend([4, 4])
    put('onnx_import', 'raw-size-wrong', model(mm, [bad, b]))
    put('onnx_import', 'string-init', model(mm, [helper.make_tensor('w', TensorProto.STRING, [1], [b'x']), b]))
    put('onnx_import', 'constant', model([helper.make_node('Constant', [], ['c'], value=b),
                                          helper.make_node('Add', ['x', 'c'], ['y'])], []))
    put('onnx_import', 'gelu-20', model([helper.make_node('Gelu', ['x'], ['y'])], [], opset=20))
    put('onnx_import', 'softmax', model([helper.make_node('Softmax', ['x'], ['y'], axis=-1)], []))
    put('onnx_import', 'reshape', model([helper.make_node('Reshape', ['x', 's'], ['y'])],
                                        [helper.make_tensor('s', TensorProto.INT64, [2], [-1, 4])]))
    put('onnx_import', 'garbage', b'\x08\x07\x12\x03abc\x3a\xff\xff\xff\xff\x0f')
    put('onnx_import', 'empty', b'')


def package_seeds():
    """The manifest and plan of real packages (QEFF_FUZZ_PACKAGE=dir[:dir...],
    each written by qeff_program_save; the committed seed is bert-tiny compiled
    with compile.seq_len 8, cache off), plus hand-made edge cases."""
    pkgs = os.environ.get('QEFF_FUZZ_PACKAGE', '')
    if not pkgs:
        print('QEFF_FUZZ_PACKAGE not set: package seeds from a real package skipped', file=sys.stderr)
    for pkg in filter(None, pkgs.split(':')):
        with open(os.path.join(pkg, 'manifest.json'), 'rb') as f:
            m = f.read()
        with open(os.path.join(pkg, 'plan.json'), 'rb') as f:
            p = f.read()
        name = os.path.basename(os.path.normpath(pkg))
        if len(m) + len(p) + 2 < LIMIT:
            put('package', name, m + b'\0\0' + p)
            # Without the plan: the manifest checks alone.
            put('package', name + '-manifest-only', m)
        else:
            print('%s is too large for a seed (%d bytes)' % (pkg, len(m) + len(p)), file=sys.stderr)
    put('package', 'empty', b'')
    put('package', 'not-package', b'{"format":"other"}\0\0{}')
    put('package', 'version-2', b'{"format":"qeff-program","format_version":2}\0\0{}')


def capi_seeds():
    # op, a, b, args... (see fuzz_capi.cpp: op % 32)
    def ops(*items):
        return bytes(x for item in items for x in item)
    create_opts = (0, 0, 0)
    req = (3, 0, 0)
    text = (5, 0, 0, 5) + tuple(b'Hello')
    load_prog = (24, 0, 0)
    gen = (7, 0, 0)
    inspect = (9, 0, 0)
    stream = (10, 0, 0)
    nxt = (11, 0, 0, 7)
    put('capi', 'generate', ops(create_opts, req, text, load_prog, gen, inspect))
    put('capi', 'stream', ops(create_opts, req, text, load_prog, stream, nxt, nxt, nxt, nxt, (15, 0, 0)))
    put('capi', 'stream-cancel', ops(create_opts, req, text, load_prog, stream, nxt, (13, 0, 0), nxt, (15, 0, 0),
                                     (14, 0, 0)))
    put('capi', 'free-first', ops(create_opts, req, text, load_prog, stream, (25, 0, 0), (4, 0, 0), nxt, nxt,
                                  (14, 0, 0)))
    put('capi', 'tokenizer', ops(load_prog, (16, 0, 0), (18, 0, 0, 11) + tuple(b'Hello world'), (19, 0, 0, 4, 10, 20,
                                 30, 40), (20, 0, 0), (21, 0, 0, 5), (21, 0, 0, 60), (22, 0, 0), (23, 0, 0)))
    put('capi', 'wrong-types', ops(create_opts, req, (26, 0, 0), (26, 0, 1), (27, 0, 0), (27, 1, 1)))
    put('capi', 'tokens', ops(create_opts, req, (6, 0, 0, 4, 1, 2, 3, 200), load_prog, gen, (28, 0, 0, 2)))
    put('capi', 'callback', ops(create_opts, req, text, load_prog, (28, 0, 0, 0), (28, 0, 0, 3)))
    put('capi', 'options', ops(create_opts, (2, 0, 0, 0, 3), (2, 0, 0, 6, 0x81, 2) + tuple(b'lo'), req, text, load_prog,
                               gen, (2, 0, 0, 15, 15), (2, 0, 0, 9, 9)))
    put('capi', 'model', ops((29, 0, 1), (30, 0, 0), (18, 0, 0, 2) + tuple(b'hi'), (29, 1, 0), (31, 0, 0), (17, 0, 0)))
    put('capi', 'empty', b'')


if __name__ == '__main__':
    main()
