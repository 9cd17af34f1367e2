import ArgumentParser
import DevenvBasics
import DevenvProject
import DevenvServices
import Foundation

extension ProjectOptions {
    /// The project's service directory (and manifest), for the commands that look at or stop
    /// what `up` started.
    func serviceDirectory() throws -> (ServiceDirectory, Manifest) {
        let found = try directory.project()
        try found.checkStateDirectory()
        return (ServiceDirectory(found.stateDirectory + "/state"), try found.manifest())
    }
}
