package org.edgekit.sample

import android.app.Activity
import android.graphics.BitmapFactory
import android.os.Bundle
import android.os.SystemClock
import android.widget.ImageView
import android.widget.LinearLayout
import android.widget.TextView
import java.io.File
import java.nio.ByteBuffer
import java.nio.ByteOrder
import org.json.JSONObject
import org.pytorch.executorch.EValue
import org.pytorch.executorch.Module
import org.pytorch.executorch.Tensor

/**
 * Classifies the bundled sample image with the bundled edgekit .pte and shows label + latency.
 *
 * All image preprocessing happened on the host (prepare_assets.py, the same tested code as the
 * Raspberry Pi app): assets/input.bin is the model's float32 NCHW input, so this file only loads,
 * runs, times and picks the top class.
 */
class MainActivity : Activity() {
    private lateinit var result: TextView

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val image = ImageView(this).apply {
            adjustViewBounds = true
            assets.open("sample.png").use { setImageBitmap(BitmapFactory.decodeStream(it)) }
        }
        result = TextView(this).apply { textSize = 18f; text = "classifying…" }
        setContentView(LinearLayout(this).apply {
            orientation = LinearLayout.VERTICAL
            setPadding(32, 32, 32, 32)
            addView(image, LinearLayout.LayoutParams(LinearLayout.LayoutParams.MATCH_PARENT, 600))
            addView(result)
        })
        Thread {
            val text = try { classify() } catch (e: Exception) { "error: ${e.message}" }
            runOnUiThread { result.text = text }
        }.start()
    }

    private fun classify(): String {
        val meta = JSONObject(assets.open("sample.json").bufferedReader().use { it.readText() })
        val shape = meta.getJSONArray("input_shape").let { a -> LongArray(a.length()) { a.getLong(it) } }
        val labels = meta.getJSONArray("labels").let { a -> List(a.length()) { a.getString(it) } }
        val input = Tensor.fromBlob(readFloats("input.bin"), shape)

        // ExecuTorch loads from a file path: copy the model out of the APK once.
        val modelFile = File(filesDir, "model.pte")
        if (!modelFile.exists()) assets.open("model.pte").use { src -> modelFile.outputStream().use { src.copyTo(it) } }
        val module = Module.load(modelFile.absolutePath)
        try {
            var logits = module.forward(EValue.from(input))[0].toTensor().dataAsFloatArray  // warm-up
            val times = DoubleArray(RUNS) {
                val start = SystemClock.elapsedRealtimeNanos()
                logits = module.forward(EValue.from(input))[0].toTensor().dataAsFloatArray
                (SystemClock.elapsedRealtimeNanos() - start) / 1e6
            }
            times.sort()
            val best = logits.indices.maxBy { logits[it] }
            return "${labels.getOrElse(best) { "class $best" }}\n" +
                "median ${"%.2f".format(times[RUNS / 2])} ms over $RUNS runs\n" +
                "host (x86) said: ${meta.getString("expected_label")}"
        } finally {
            module.destroy()
        }
    }

    private fun readFloats(asset: String): FloatArray {
        val bytes = assets.open(asset).use { it.readBytes() }
        val floats = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
        return FloatArray(floats.remaining()).also { floats.get(it) }
    }

    private companion object {
        const val RUNS = 20
    }
}
