// Versions are pinned here and in app/build.gradle.kts; see README.md for why each was chosen.
plugins {
    id("com.android.application") version "8.7.3" apply false
    id("org.jetbrains.kotlin.android") version "2.0.21" apply false
}
