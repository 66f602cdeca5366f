package ai.qeff;

import java.util.Arrays;

/**
 * A weight tensor of a model: its name, dtype and shape.
 *
 * @param name the safetensors name, e.g. "embeddings.word_embeddings.weight"
 * @param dtype the element type
 * @param shape the dimensions (length = rank)
 */
public record TensorInfo(String name, DType dtype, long[] shape) {
  @Override
  public String toString() {
    return name + " " + dtype + " " + Arrays.toString(shape);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t && t.name.equals(name) && t.dtype == dtype && Arrays.equals(t.shape, shape);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }
}
